#pragma once
// FrameLog: a task's frames, kept as the bytes a follower receives, so that any number of
// followers can read them from any point (SSE resume with Last-Event-ID) and a replay is one copy.
//
// Each frame is `id: <n>\nevent: <name>\ndata: <one line of JSON>\n\n`; ids count from 1 and
// never repeat within a task. The log is bounded by a frame count and a byte count: when an
// append goes over either, the oldest frames are dropped (the newest is always kept), and a
// follower asking for frames that were dropped learns it (Read::Gone) instead of getting a gap.
// After the terminal frame the log is ended and takes nothing more.
//
// Storage is one contiguous byte buffer and one vector of frame ends; dropped frames are
// compacted away in bulk, so appends allocate only while the log grows to its bounds.
// Thread: not synchronised; one owner (the task's I/O thread).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sy::tasks {

struct FrameLogLimits {
  std::size_t max_frames = 4096;
  std::size_t max_bytes = 1024 * 1024;
};

class FrameLog {
 public:
  explicit FrameLog(FrameLogLimits limits) : limits_(limits) {}

  // Appends a frame; `data` must be one line (JSON as JsonWriter writes it). Returns its id.
  // Ignored (returns 0) once the log has ended.
  std::uint64_t append(std::string_view event, std::string_view data);
  // Marks the log ended: the last frame appended was the terminal one. What it holds is
  // compacted to its size, since it is only read from now on (while the task is retained).
  void end();

  enum class Read : std::uint8_t {
    Ok,    // every frame with id > after was appended to `out` (maybe none)
    Gone,  // frames with id > after were dropped: the follower cannot resume without a gap
  };
  // Appends to `out` the frames with ids greater than `after`.
  Read read_after(std::uint64_t after, std::string& out) const;

  [[nodiscard]] bool ended() const noexcept { return ended_; }
  // The id of the newest frame (0: none yet); the oldest one still held (0: none).
  [[nodiscard]] std::uint64_t last_id() const noexcept { return next_id_ - 1; }
  [[nodiscard]] std::uint64_t first_id() const noexcept {
    return frames() == 0 ? 0 : next_id_ - frames();
  }
  [[nodiscard]] std::size_t frames() const noexcept { return ends_.size() - head_frame_; }
  [[nodiscard]] std::size_t bytes() const noexcept { return buffer_.size() - head_byte_; }
  // What the log holds in memory (capacity), for accounting.
  [[nodiscard]] std::size_t footprint() const noexcept {
    return buffer_.capacity() + ends_.capacity() * sizeof(std::size_t);
  }

 private:
  // Drops the oldest frames until within the limits (keeping the newest), then compacts when
  // at least half of the buffer is dropped bytes.
  void enforce_limits();
  [[nodiscard]] std::size_t frame_begin(std::size_t index) const noexcept {
    return index == 0 ? 0 : ends_[index - 1];
  }

  FrameLogLimits limits_;
  std::string buffer_;             // frames, oldest first; [0, head_byte_) is dropped
  std::vector<std::size_t> ends_;  // end offset in buffer_ of each frame; [0, head_frame_) dropped
  std::size_t head_byte_ = 0;
  std::size_t head_frame_ = 0;
  std::uint64_t next_id_ = 1;
  bool ended_ = false;
};

}  // namespace sy::tasks
