using Microsoft.AspNetCore.Mvc;
using Netlab.Web.Accounts;
using Netlab.Web.ScaleOut;

namespace Netlab.Web.Labs.TcpConsole;

/// <summary>The TCP console, scriptable: open one to an allowed host and port, type lines, read the transcript, close it.</summary>
public static class TcpConsolesApi
{
    public static RouteGroupBuilder MapTcpConsolesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/tcp-consoles").WithTags("TCP consoles")
            .ForwardToRegisteredOwner(TcpConsoles.OwnerKind, (services, id) => services.GetRequiredService<TcpConsoles>().IsHere(id));
        // Every route with a console id: someone else's console answers 404, as if it did not exist.
        api.AddEndpointFilter(async (context, next) =>
        {
            if (context.HttpContext.Request.RouteValues["id"] is string text && Guid.TryParse(text, out var id))
                context.HttpContext.RequestServices.GetRequiredService<TcpConsoles>().CheckAccess(id, Viewer.Of(context.HttpContext.User));
            return await next(context);
        });
        api.MapPost("/", async (HttpContext http, [FromBody] TcpConsoleRequest request, TcpConsoles consoles, CancellationToken cancellationToken) =>
            {
                var console = await consoles.OpenAsync(Viewer.Of(http.User), request, cancellationToken);
                return TypedResults.Created($"/api/tcp-consoles/{console.Id}", console);
            })
            .WithSummary("Connects a console to an allowed host and port: {\"host\",\"port\",\"lineEnding\":\"CrLf\"|\"Lf\",\"maxLineBytes\",\"idleTimeoutMs\"}.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status502BadGateway);
        api.MapGet("/", (HttpContext http, TcpConsoles consoles) => TypedResults.Ok(consoles.List(Viewer.Of(http.User))))
            .WithSummary("Your open consoles (everyone's for staff).");
        api.MapGet("/{id:guid}", (Guid id, TcpConsoles consoles) => TypedResults.Ok(consoles.Get(id)))
            .WithSummary("A console: target, connected, bytes each way.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id:guid}/lines", async (Guid id, [FromBody] TcpConsoleLine request, TcpConsoles consoles, CancellationToken cancellationToken) =>
                TypedResults.Ok(await consoles.SendAsync(id, request.Line, cancellationToken)))
            .WithSummary("Types one line (the console adds the line ending); what comes back is in the events.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/{id:guid}/events", (Guid id, TcpConsoles consoles) => TypedResults.Ok(consoles.Feed(id).Snapshot()))
            .WithSummary("The timestamped transcript so far: lines sent and received, binary as hex, how it closed.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/{id:guid}", async (Guid id, TcpConsoles consoles) =>
            {
                await consoles.CloseAsync(id);
                return TypedResults.NoContent();
            })
            .WithSummary("Hangs up and forgets the console.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }
}
