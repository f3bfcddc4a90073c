// The single translation unit that compiles Asio's and Beast's implementation
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION), so other files
// include only the declarations and incremental builds stay fast.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
