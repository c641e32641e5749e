"""Regression tests of m3m's trust boundaries, each written as the attack it stops (a hostile
archive, a service page reaching for the admin's session, `$http` to every spelling of a local
address, a CPU hog beside a measured service, ...). docs/security.md names the test behind each
of its claims."""
