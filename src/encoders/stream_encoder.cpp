#include "encoders/stream_encoder.hpp"

#include "encoders/completions_sse_encoder.hpp"
#include "encoders/pass_through_encoder.hpp"

namespace sy::encoders {

std::unique_ptr<StreamEncoder> make_stream_encoder(engines::WireShape client,
                                                   engines::WireShape engine,
                                                   ChunkIdentity identity) {
  if (client == engine) return std::make_unique<PassThroughEncoder>();
  // Every engine speaks OpenAI's chat shape (engines::wire_shape), so only completions are
  // translated.
  return std::make_unique<CompletionsSseEncoder>(std::move(identity));
}

}  // namespace sy::encoders
