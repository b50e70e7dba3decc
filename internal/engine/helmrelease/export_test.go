package helmrelease

// RootApplicationName is rootApplicationName, for the tests.
var RootApplicationName = rootApplicationName
