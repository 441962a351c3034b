// The record's columns: one table, in the results CSV's order, that drives the
// CSV writer and reader (protocol/results_csv.cpp), the optional columns older
// files lack, and the record's JSON (report/record_json.cpp). A new column is
// one field in MeasurementRecord and one row here.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/record.h"

namespace nicenergy {

using RecordField = std::variant<std::string MeasurementRecord::*, int MeasurementRecord::*,
                                 int64_t MeasurementRecord::*, double MeasurementRecord::*,
                                 std::optional<double> MeasurementRecord::*>;

struct RecordColumn {
  const char* name;
  RecordField field;
  bool optional = false;       // files written before it lack it: read as empty
  int min = 0;                 // the least whole number a row may hold (whole-number fields)
  const char* empty_means = "";  // what an empty text says in JSON ("chain" for stage)
};

const std::vector<RecordColumn>& record_columns();

// The cell as the CSV holds it: a double in the shortest text that reads back
// to it, an empty optional as an empty cell.
std::string column_text(const MeasurementRecord& record, const RecordColumn& column);
// Reads a cell into the record; throws Error naming `where` for a malformed
// number (not finite, not whole, below the column's least value).
void read_column(MeasurementRecord& record, const RecordColumn& column, const std::string& text,
                 const std::string& where);

}  // namespace nicenergy
