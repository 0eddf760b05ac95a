"""Meet: the Voila dashboards' views for coaching sessions and quality meetings, and the server."""
