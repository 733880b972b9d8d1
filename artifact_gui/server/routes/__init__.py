"""The API's routes, one router per area; each route is one small function over the Store."""
