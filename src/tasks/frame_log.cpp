#include "tasks/frame_log.hpp"

#include <charconv>

namespace sy::tasks {

std::uint64_t FrameLog::append(std::string_view event, std::string_view data) {
  if (ended_) return 0;
  const std::uint64_t id = next_id_++;
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, id);
  (void)ec;  // 24 digits hold any uint64
  buffer_.append("id: ");
  buffer_.append(digits, static_cast<std::size_t>(end - digits));
  buffer_.append("\nevent: ");
  buffer_.append(event);
  buffer_.append("\ndata: ");
  buffer_.append(data);
  buffer_.append("\n\n");
  ends_.push_back(buffer_.size());
  enforce_limits();
  return id;
}

void FrameLog::end() {
  ended_ = true;
  if (head_frame_ > 0) {
    buffer_.erase(0, head_byte_);
    ends_.erase(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(head_frame_));
    for (std::size_t& e : ends_) e -= head_byte_;
    head_byte_ = 0;
    head_frame_ = 0;
  }
  buffer_.shrink_to_fit();
  ends_.shrink_to_fit();
}

FrameLog::Read FrameLog::read_after(std::uint64_t after, std::string& out) const {
  if (after >= last_id()) return Read::Ok;
  const std::uint64_t first = first_id();
  if (first == 0 || after + 1 < first) return Read::Gone;
  // Frame `after + 1` is at index head_frame_ + (after + 1 - first).
  const std::size_t from = head_frame_ + static_cast<std::size_t>(after + 1 - first);
  const std::size_t begin = frame_begin(from);
  out.append(buffer_, begin, buffer_.size() - begin);
  return Read::Ok;
}

void FrameLog::enforce_limits() {
  while (frames() > 1 && (frames() > limits_.max_frames || bytes() > limits_.max_bytes)) {
    head_byte_ = ends_[head_frame_];
    ++head_frame_;
  }
  if (head_byte_ == 0 || head_byte_ < buffer_.size() / 2) return;
  // Compact: move the held frames to the front (amortised: at most once per half a buffer).
  buffer_.erase(0, head_byte_);
  ends_.erase(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(head_frame_));
  for (std::size_t& e : ends_) e -= head_byte_;
  head_byte_ = 0;
  head_frame_ = 0;
}

}  // namespace sy::tasks
