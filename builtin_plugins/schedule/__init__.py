"""$schedule: daily, hourly, every('5m') and cron jobs on APScheduler inside the worker; the jobs
call back into the service's JS and end with its run. The API is binding.py, prelude.js and
typings.d.ts (no hook needed)."""
