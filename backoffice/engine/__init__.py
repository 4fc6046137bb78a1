"""The resource engine: a screen is a declaration (columns, filters, fields, actions) that lists and forms serve."""
