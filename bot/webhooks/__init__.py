"""Outbound webhooks: events Handoff POSTs to a CRM or automation tool, signed the Standard Webhooks
way and delivered from the outbox (retries, backoff, in order per lead, one id per message)."""
