using Netlab.Labs.Core;

namespace Netlab.Labs.Http;

/// <summary>The http lab as the portal offers it: its server, probes and own events.</summary>
public static class HttpLab
{
    public static LabDefinition Definition { get; } = new LabDefinition(
        "http",
        "Web Server",
        "A hand-written HTTP/1.1 server (GET, HEAD, 404, many clients at once), a client that shows the exchange like curl -v, and a grader for students' servers.",
        "Handout 000, Assignment 1: Web Server; handout 003, Web Server",
        new ServerKind("http", typeof(HttpServerOptions),
            (options, context) => new HttpServer((HttpServerOptions)options, context)),
        [
            new ProbeKind("http-get", "HTTP client", typeof(HttpProbeOptions),
                (options, environment) => new HttpProbe((HttpProbeOptions)options, environment.Time)),
            new ProbeKind("http-grade", "Grader", typeof(HttpGraderOptions),
                (options, environment) => new HttpGrader((HttpGraderOptions)options, environment)),
            new ProbeKind("http-client-grade", "Client grader", typeof(HttpClientGraderOptions),
                (options, environment) => new HttpClientGrader((HttpClientGraderOptions)options, environment)),
        ])
    {
        // The JSON "kind" of each event is stored with every run: never rename one.
        Events =
        [
            EventKind.Of<AccessLogEntry>("accessLogEntry"),
            EventKind.Of<HttpResponseView>("httpResponseView"),
        ],
    };
}
