'use strict'
// `passfort-emulator` holds the emulator's native addon (in its platform
// package); the Emulator class is `passfort/testing`, which loads it.
module.exports = require('passfort/testing')
