"""Reports: spreadsheets, charts and scorecards as bytes (no web or database imports)."""
