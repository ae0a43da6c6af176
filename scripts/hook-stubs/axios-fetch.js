// The client pins axios to its http adapter. axios's fetch adapter probes the
// global fetch when loaded, which makes Node 20 load undici (~40 ms a start).
module.exports = { getFetch: () => false };
