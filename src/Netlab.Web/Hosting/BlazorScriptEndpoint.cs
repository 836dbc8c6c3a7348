using Microsoft.Net.Http.Headers;

namespace Netlab.Web.Hosting;

/// <summary>
/// Serves the blazor.web.js that build/BlazorWebScript.targets extracts at build time (the .NET 10
/// package that normally carries it is not in this registry). See that file for the whole story.
/// </summary>
public static class BlazorScriptEndpoint
{
    public static IEndpointRouteBuilder MapBlazorWebScript(this IEndpointRouteBuilder endpoints)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "blazor-script", "blazor.web.js");
        endpoints.MapGet("/_framework/blazor.web.js", (HttpContext context) =>
        {
            if (!File.Exists(path))
                return Results.Problem($"blazor.web.js was not extracted at build time (expected {path}).", statusCode: 500);
            context.Response.Headers[HeaderNames.CacheControl] = "no-cache";
            return Results.File(path, "text/javascript", enableRangeProcessing: false);
        }).ExcludeFromDescription();
        return endpoints;
    }
}
