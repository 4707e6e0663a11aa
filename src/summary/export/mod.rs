//! Exports of summary tables in the official layout: XLSX (one unit, or a
//! roll-up workbook), PDF for printing, CSV of the counts.
