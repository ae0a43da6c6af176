// axios uses http2 only with `httpVersion: 2`, which the client never sets.
module.exports = {};
