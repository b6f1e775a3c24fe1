# The seed's customer_egress_policy "acme/cloudevents-egress" (OPA 1.x / Rego v1 syntax).
# Input, as cerelay sends it: {"event_type": "<type>", "subject": "<subject>"} (subject is absent
# when the event has none). cerelay publishes an event only when `allow` is true.
package acme["cloudevents-egress"]

default allow := false

# CoreSDK events of tenant acme (subject tenant/acme or tenant/acme/...), except secret
# rotations, which never leave.
allow if {
	startswith(input.event_type, "io.coresdk.")
	input.event_type != "io.coresdk.secret.rotated"
	regex.match(`^tenant/acme(/|$)`, input.subject)
}

# LLM usage telemetry of any tenant.
allow if input.event_type == "eventzr.llm.usage.v1"
