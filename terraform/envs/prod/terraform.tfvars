# prod: protected, sized for bursts, still free at idle (min_instances = 0).
# project_id is passed at run time.
environment         = "prod"
region              = "europe-west1"
deletion_protection = true
force_destroy       = false
staging_expiry_days = 7

labels = {
  app = "dropcast"
  env = "prod"
}

ingest_sizing = {
  max_instances = 5
}

forecast_sizing = {
  max_instances = 20
}
