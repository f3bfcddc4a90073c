#pragma once
// What an AdmissionQueue does when a request arrives and the queue is full. The config module has
// an identical enum of its own; the application maps one onto the other.

namespace sy::admission {

enum class OverflowPolicy {
  Reject,           // the newcomer is refused
  DropLru,          // the oldest batch item (else the oldest interactive item) is evicted
  ShedLowPriority,  // an interactive newcomer evicts the newest batch item; otherwise refused
};

}  // namespace sy::admission
