"""CSV and XLSX export of a report table, built on Wagtail's own
``SpreadsheetExportMixin`` (streaming CSV, write-only XLSX, date handling).

What Wagtail does not do is neutralise spreadsheet formulas in CSV; URLs, link
text, events and categories come from a public beacon, so every text cell that
a spreadsheet could read as a formula is prefixed with an apostrophe, in both
formats.
"""

from wagtail.admin.views.mixins import SpreadsheetExportMixin

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value):
    """Make a text cell inert in spreadsheets (OWASP "CSV injection")."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class TableExportMixin(SpreadsheetExportMixin):
    """Export the rows of the view's django-tables2 table (``table_class``)
    exactly as its columns give them (``Table.as_values``)."""

    table_class = None

    @property
    def exported_columns(self):
        """The table's columns but those shown on screen only
        (``exclude_from_export``)."""
        return {
            name: column
            for name, column in self.table_class.base_columns.items()
            if not column.exclude_from_export
        }

    @property
    def list_export(self):
        return list(self.exported_columns)

    @property
    def export_headings(self):
        return {
            name: column.verbose_name for name, column in self.exported_columns.items()
        }

    def export_table(self, table, export_format):
        values = table.as_values(exclude_columns=())
        next(values)  # the header row; headings come from export_headings
        return self.as_spreadsheet(values, export_format)

    def to_row_dict(self, item):
        return dict(zip(self.list_export, item, strict=True))

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, neutralise(value), export_format)
        return neutralise(value)
