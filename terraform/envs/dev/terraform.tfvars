# dev: small, disposable, free at idle. project_id is passed at run time.
environment         = "dev"
region              = "europe-west1"
deletion_protection = false
force_destroy       = true
staging_expiry_days = 3

labels = {
  app = "dropcast"
  env = "dev"
}

ingest_sizing = {
  max_instances = 2
}

forecast_sizing = {
  max_instances = 3
}
