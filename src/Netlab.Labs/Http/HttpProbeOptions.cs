using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Netlab.Labs.Http;

public enum RequestMethod { GET, HEAD }

public sealed record HttpProbeOptions
{
    [Description("GET fetches the page; HEAD only its headers.")]
    public RequestMethod Method { get; init; } = RequestMethod.GET;

    [Required, StringLength(2000), RegularExpression(@"^/[!-~]*$", ErrorMessage = "path must start with / and be visible ASCII without spaces (percent-encode the rest)."),
     Description("The path to request, e.g. /HelloWorld.html.")]
    public string Path { get; init; } = "/HelloWorld.html";

    [Display(Name = "Timeout (ms)", GroupName = "Advanced")]
    [Range(1, 120_000), Description("How long to wait for the whole exchange, in ms.")]
    public int TimeoutMs { get; init; } = 5000;

    [Display(Name = "Largest body (bytes)", GroupName = "Advanced")]
    [Range(1024, 1024 * 1024 * 1024), Description("A response body (with its chunked framing) longer than this ends the run as Failed: a server that streams forever cannot keep the client reading.")]
    public int MaxBodyBytes { get; init; } = (int)HttpClientConnection.DefaultMaxBodyBytes;
}

public sealed record HttpGraderOptions
{
    [Required, StringLength(2000), RegularExpression(@"^/[!-~]*$", ErrorMessage = "path must start with / and be visible ASCII without spaces (percent-encode the rest)."),
     Description("A file the server must serve; its bytes are compared with the copy in the content root.")]
    public string Path { get; init; } = "/HelloWorld.html";

    [Required, StringLength(2000), RegularExpression(@"^/[!-~]*$", ErrorMessage = "missingPath must start with / and be visible ASCII without spaces (percent-encode the rest)."),
     Description("A path that must not exist on the server (expects 404).")]
    [Display(Name = "Missing path")]
    public string MissingPath { get; init; } = "/netlab-no-such-page.html";

    [Display(Name = "Concurrent clients", GroupName = "Advanced")]
    [Range(2, 100), Description("Simultaneous connections for the multithreading check.")]
    public int Concurrency { get; init; } = 15;

    [Display(Name = "Timeout (ms)", GroupName = "Advanced")]
    [Range(100, 60_000), Description("Time limit of each check, in ms: a broken server fails it instead of hanging the run.")]
    public int TimeoutMs { get; init; } = 5000;

    [Display(Name = "Largest body (bytes)", GroupName = "Advanced")]
    [Range(1024, 1024 * 1024 * 1024), Description("A response body (with its chunked framing) longer than this fails that check: a server that streams forever cannot keep the client reading.")]
    public int MaxBodyBytes { get; init; } = (int)HttpClientConnection.DefaultMaxBodyBytes;
}
