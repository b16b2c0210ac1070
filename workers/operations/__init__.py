"""Operations requested through `lawful api` (backfill, replay), executed inside `lawful bridge`.

The API records an operation as a hash `<prefix>api:operation:<id>` (status `queued`) and pushes
its id on `<prefix>api:operations:<kind>`; the runner moves the id atomically to
`<prefix>api:operations:<kind>:processing` (LMOVE), so a runner killed mid-way leaves it
there and its next start puts it back at the head of the queue and runs it again.
"""
