# Only the push identities may invoke the service: ingress is internal and
# nobody else, users included, needs to call it. Keyed by the caller's static
# names: the members are service-account emails, which may only be known after
# apply, and for_each keys must be known at plan.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = var.invoker_members

  project  = var.project_id
  location = google_cloud_run_v2_service.service.location
  name     = google_cloud_run_v2_service.service.name
  role     = "roles/run.invoker"
  member   = each.value
}
