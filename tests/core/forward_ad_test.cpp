// placeholder: tests come with the next commits
#include <gtest/gtest.h>
