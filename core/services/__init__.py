"""One module per state change. Views, API, tasks, admin and plugins call these only."""
