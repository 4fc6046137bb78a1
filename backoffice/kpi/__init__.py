"""KPIs: usage-event capture, the KPI registry, the refresh into daily aggregates, and the dashboard's read side."""
