#pragma once
// The encoder for an engine that already speaks the client's SSE protocol: every event goes out
// as the engine sent it (data, and the event name when it had one); [DONE] as OpenAI writes it.

#include "encoders/stream_encoder.hpp"

namespace sy::encoders {

class PassThroughEncoder final : public StreamEncoder {
 public:
  void encode(const engines::EngineEvent& event, std::string& out) override;
};

}  // namespace sy::encoders
