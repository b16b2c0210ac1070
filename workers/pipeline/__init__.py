"""The Faust worker (`lawful worker`): record and person agents, DLQ, scheduler, health."""
