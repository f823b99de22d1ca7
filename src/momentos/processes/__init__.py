"""Processes: one pass of a customer through a service's journey, with its moment history."""
