"""Pure rules of the gateway: subject filters, access, client queues, history steps, report."""
