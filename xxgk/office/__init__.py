"""The disclosure office: handling requests, deadlines and fees."""
