#include "complexity/op_counter.h"

#include <ATen/core/function_schema.h>
#include <ATen/record_function.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <optional>

#include "error.h"

namespace nicenergy {

namespace {

// The callbacks are plain function pointers: the count they fill is global,
// guarded by a mutex; the nesting depth is per thread.
std::mutex count_mutex;
OpCount* active_count = nullptr;
thread_local int counted_depth = 0;

bool starts_with(const char* name, const char* prefix) { return std::strncmp(name, prefix, std::strlen(prefix)) == 0; }

std::optional<OpKind> kind_of(const char* name) {
  static const char* const convolutions[] = {"aten::conv1d", "aten::conv2d", "aten::conv3d", "aten::convolution",
                                             "aten::_convolution", "aten::conv_transpose1d", "aten::conv_transpose2d",
                                             "aten::conv_transpose3d", "aten::_convolution_mode"};
  static const char* const matmuls[] = {"aten::mm", "aten::addmm", "aten::matmul", "aten::bmm", "aten::baddbmm"};
  for (const char* c : convolutions)
    if (std::strcmp(name, c) == 0) return OpKind::convolution;  // transposed decided from the inputs
  if (std::strcmp(name, "aten::linear") == 0) return OpKind::linear;
  for (const char* m : matmuls)
    if (std::strcmp(name, m) == 0) return OpKind::matmul;
  return std::nullopt;
}

std::vector<int64_t> shape_of(const c10::IValue& v) {
  if (!v.isTensor()) return {};
  return v.toTensor().sizes().vec();
}

int64_t product(const std::vector<int64_t>& v, size_t from = 0) {
  int64_t p = 1;
  for (size_t i = from; i < v.size(); ++i) p *= v[i];
  return p;
}

// What the start callback keeps of a counted call: the inputs are valid only
// there (they live on the dispatcher's stack, which the outputs then replace).
struct CallContext : at::ObserverContext {
  CountedOp op;
  bool understood = false;
};

// Kind and input shapes of one counted call; false when the operands are not what the schema promises.
bool describe_inputs(const at::RecordFunction& fn, OpKind kind, CountedOp& op) {
  auto inputs = fn.inputs();
  // A boxed call (TorchScript's interpreter) hands the callback the whole
  // interpreter stack, not only the operator's arguments: values kept there for
  // later (GDN's x, waiting for x * norm) come in front. PyTorch's own profiler
  // records the same 14 inputs for _convolution's 13. The arguments are the last ones.
  if (const auto schema = fn.operator_schema()) {
    const size_t arguments = schema->arguments().size();
    if (inputs.size() > arguments) inputs = inputs.slice(inputs.size() - arguments);
  }
  if (inputs.size() < 2) return false;
  const std::string name = fn.name();
  if (kind == OpKind::convolution) {
    op.input_shape = shape_of(inputs[0]);
    op.weight_shape = shape_of(inputs[1]);
    if (op.weight_shape.size() < 3 || op.input_shape.empty()) return false;
    // convolution / _convolution (what a trace records): the 7th argument says transposed.
    bool transposed = name.find("conv_transpose") != std::string::npos;
    if ((name == "aten::convolution" || name == "aten::_convolution") && inputs.size() > 6 && inputs[6].isBool())
      transposed = inputs[6].toBool();
    op.kind = transposed ? OpKind::transposed_convolution : OpKind::convolution;
    return true;
  }
  // linear(input, weight[out, in]); addmm/baddbmm(self, a, b); mm/matmul/bmm(a, b).
  const bool with_bias = name == "aten::addmm" || name == "aten::baddbmm";
  if (with_bias && inputs.size() < 3) return false;
  op.kind = kind;
  op.input_shape = shape_of(inputs[with_bias ? 1 : 0]);
  op.weight_shape = shape_of(inputs[with_bias ? 2 : 1]);
  return !op.input_shape.empty() && !op.weight_shape.empty();
}

// MACs from the kept shapes and the output's.
void count_macs(CountedOp& op) {
  switch (op.kind) {
    case OpKind::convolution:
      // Weight [C_out, C_in/groups, k...]: the kernel at every output position.
      op.macs = static_cast<double>(product(op.output_shape)) * op.weight_shape[1] * product(op.weight_shape, 2);
      break;
    case OpKind::transposed_convolution:
      // Weight [C_in, C_out/groups, k...]: the kernel at every input position.
      op.macs = static_cast<double>(product(op.input_shape)) * op.weight_shape[1] * product(op.weight_shape, 2);
      break;
    case OpKind::linear:
    case OpKind::matmul:
      // Every output element is a dot product over the inner dimension.
      op.macs = static_cast<double>(product(op.output_shape)) * op.input_shape.back();
      break;
  }
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  const std::optional<OpKind> kind = kind_of(fn.name());
  if (!kind) return nullptr;
  ++counted_depth;
  if (counted_depth > 1) return nullptr;  // inside an outer counted operator: part of it
  auto context = std::make_unique<CallContext>();
  context->op.op = fn.name();
  context->understood = describe_inputs(fn, *kind, context->op);
  return context;
}

void on_end(const at::RecordFunction& fn, at::ObserverContext* context) {
  const char* name = fn.name();
  const bool counted = kind_of(name).has_value();
  if (counted) --counted_depth;
  if (!starts_with(name, "aten::")) return;
  std::lock_guard<std::mutex> lock(count_mutex);
  if (!active_count) return;
  if (!counted) {
    // Operators inside a counted one (conv2d's backend kernel) are part of it.
    if (counted_depth == 0) ++active_count->other_calls[name];
    return;
  }
  auto* call = dynamic_cast<CallContext*>(context);
  if (!call) return;  // an inner counted operator
  CountedOp op = std::move(call->op);
  // The outputs of a boxed call are the whole stack too: the results are the
  // last ones. The front slot is whatever the interpreter kept below the
  // arguments (a tensor of the output's shape in GDN, by luck; None before
  // CompressAI's last transposed convolution, which was then not counted).
  c10::ArrayRef<c10::IValue> outputs = fn.outputs();
  if (const auto schema = fn.operator_schema()) {
    const size_t returns = schema->returns().size();
    if (outputs.size() > returns) outputs = outputs.slice(outputs.size() - returns);
  }
  if (!call->understood || outputs.empty() || !outputs[0].isTensor()) {
    ++active_count->other_calls[std::string(name) + " (operands not understood)"];
    return;
  }
  op.output_shape = shape_of(outputs[0]);
  count_macs(op);
  for (CountedOp& seen : active_count->ops)
    if (seen.op == op.op && seen.kind == op.kind && seen.input_shape == op.input_shape &&
        seen.weight_shape == op.weight_shape && seen.output_shape == op.output_shape) {
      ++seen.calls;
      seen.macs += op.macs;
      return;
    }
  op.calls = 1;
  active_count->ops.push_back(std::move(op));
}

}  // namespace

OpCount count_operators(const std::function<void()>& run) {
  OpCount count;
  {
    std::lock_guard<std::mutex> lock(count_mutex);
    if (active_count) throw Error("an operator count is already running in this process");
    active_count = &count;
  }
  const at::CallbackHandle handle = at::addGlobalCallback(at::RecordFunctionCallback(on_start, on_end)
                                                              .needsInputs(true)
                                                              .needsOutputs(true)
                                                              .scopes({at::RecordScope::FUNCTION}));
  auto finish = [&]() {
    at::removeCallback(handle);
    std::lock_guard<std::mutex> lock(count_mutex);
    active_count = nullptr;
  };
  try {
    run();
  } catch (...) {
    finish();
    throw;
  }
  finish();
  return count;
}

}  // namespace nicenergy
