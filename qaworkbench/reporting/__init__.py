"""Report: reporting periods' contents, charts, the Papermill runner that publishes the weekly,
monthly and agent reports, spreadsheet output and the labels in both languages (i18n)."""
