// The client sets maxRedirects: 0, so axios uses Node's own http/https and
// never follow-redirects (nor its debug and supports-color dependencies).
module.exports = { http: require("http"), https: require("https") };
