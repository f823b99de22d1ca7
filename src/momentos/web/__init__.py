"""Server-rendered pages (Jinja2, es/en): sign-in, services, journey, customers. Routes call services only."""
