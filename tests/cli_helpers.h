// Moved to test_util.h (one header of shared test helpers); kept until every
// test includes that one.
#pragma once
#include "test_util.h"
