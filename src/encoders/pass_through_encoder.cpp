#include "encoders/pass_through_encoder.hpp"

#include "sse/sse_writer.hpp"

namespace sy::encoders {

void PassThroughEncoder::encode(const engines::EngineEvent& event, std::string& out) {
  if (event.end && event.raw == "[DONE]") {
    sse::append_done(out);
  } else if (event.name.empty() || event.name == "message") {
    sse::append_data_event(out, event.raw);
  } else {
    sse::append_named_event(out, event.name, event.raw);
  }
}

}  // namespace sy::encoders
