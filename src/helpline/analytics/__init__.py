"""Analytics: interval tables, dashboards, CSV, staffing and the simulator."""
