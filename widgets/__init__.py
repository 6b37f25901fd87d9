"""ipywidgets views of the workbook. Each view takes services; none opens a DB session."""
