"""Pure tables of the spine, shared by every writer and every check: the workbook tables,
the Summary/Compare/Standards sheets, notes, scope, layout, meta and the places views."""
