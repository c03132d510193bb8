# The bucket is given at init (it is named after your project):
#   terraform -chdir=terraform/envs/dev init -backend-config=bucket=<project>-dropcast-tfstate
terraform {
  backend "gcs" {
    prefix = "dropcast/dev"
  }
}
