using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Netlab.Web.Servers;

namespace Netlab.Web.Api;

public static class ServersApi
{
    public static RouteGroupBuilder MapServersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/servers").WithTags("Servers");
        api.MapGet("/", (ServerManager servers) => TypedResults.Ok(servers.List()))
            .WithSummary("The lab servers running in the portal.");
        api.MapPost("/", StartAsync)
            .WithSummary("Starts a lab server. Port 0 picks a free port; the bound port is in the response.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/{id:guid}", (Guid id, ServerManager servers) => TypedResults.Ok(servers.Get(id)))
            .WithSummary("One lab server: state (Running, Faulted with its reason, ...) and port.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:guid}/events", (Guid id, ServerManager servers) => TypedResults.Ok(servers.Feed(id).Snapshot()))
            .WithSummary("The server's most recent events (what it received and did).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id:guid}/reload", (Guid id, ServerManager servers) => TypedResults.Ok(new { message = servers.Reload(id) }))
            .WithSummary("Reloads a server's content without a restart (the DNS zone file).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/{id:guid}", StopAsync)
            .WithSummary("Stops a lab server and removes it.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Created<ServerDto>> StartAsync([FromBody] StartServerRequest request, ServerManager servers, CancellationToken cancellationToken)
    {
        var server = await servers.StartAsync(request, cancellationToken);
        return TypedResults.Created($"/api/servers/{server.Id}", server);
    }

    private static async Task<NoContent> StopAsync(Guid id, ServerManager servers)
    {
        await servers.StopAsync(id);
        return TypedResults.NoContent();
    }
}
