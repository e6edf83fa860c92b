"""The command line (main): parsing arguments and printing results, plus the commands that are not builds: `deploy`
(deploy) and `new`/`init` (scaffold). The top layer: it may import everything below it, and nothing imports it."""
