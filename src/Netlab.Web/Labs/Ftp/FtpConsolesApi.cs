using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Netlab.Web.Accounts;
using Netlab.Web.Hosting;
using Netlab.Web.ScaleOut;

namespace Netlab.Web.Labs.Ftp;

/// <summary>The FTP lab's client shell, scriptable: open a console, send it the handout's commands, manage its scratch folder.</summary>
public static class FtpConsolesApi
{
    public static RouteGroupBuilder MapFtpConsolesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/ftp/consoles").WithTags("FTP consoles")
            .ForwardToRegisteredOwner(FtpConsoles.OwnerKind, (services, id) => services.GetRequiredService<FtpConsoles>().IsHere(id));
        // Every route with a console id: someone else's console answers 404, as if it did not exist.
        api.AddEndpointFilter(async (context, next) =>
        {
            if (context.HttpContext.Request.RouteValues["id"] is string text && Guid.TryParse(text, out var id))
                context.HttpContext.RequestServices.GetRequiredService<FtpConsoles>().CheckAccess(id, Viewer.Of(context.HttpContext.User));
            return await next(context);
        });
        api.MapPost("/", (HttpContext http, FtpConsoles consoles) =>
            {
                var console = consoles.Create(Viewer.Of(http.User));
                return TypedResults.Created($"/api/ftp/consoles/{console.Id}", console);
            })
            .WithSummary("Opens an FTP console (the handout's client shell) with its own scratch folder.")
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapGet("/{id:guid}", (Guid id, FtpConsoles consoles) => TypedResults.Ok(consoles.Get(id)))
            .WithSummary("A console's state: connected, passive, local directory, bytes moved.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id:guid}/commands", async (Guid id, [FromBody] FtpCommandRequest request, FtpConsoles consoles, CancellationToken cancellationToken) =>
                TypedResults.Ok(await consoles.ExecuteAsync(id, request.Line, cancellationToken)))
            .WithSummary("Runs one shell command (connect host port, cd, pwd, lcd, ls, get, put, system, passive on|off, bye, help) and returns what the shell printed.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:guid}/events", (Guid id, FtpConsoles consoles) => TypedResults.Ok(consoles.Feed(id).Snapshot()))
            .WithSummary("The console's transcript so far: control-channel and data-channel lines, and transfers.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:guid}/files", (Guid id, FtpConsoles consoles) => TypedResults.Ok(consoles.Files(id)))
            .WithSummary("The files in the console's scratch folder (the local side of get and put).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:guid}/files/{**name}", (Guid id, string name, FtpConsoles consoles) =>
            {
                var path = consoles.FilePath(id, name, mustExist: true);
                return TypedResults.PhysicalFile(path, "application/octet-stream", Path.GetFileName(path));
            })
            .WithSummary("Downloads a file from the scratch folder.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{id:guid}/files/{name}", async (Guid id, string name, HttpRequest request, FtpConsoles consoles, CancellationToken cancellationToken) =>
            {
                await consoles.WriteFileAsync(id, name, request.Body, request.ContentLength, cancellationToken);
                return TypedResults.NoContent();
            })
            .WithSummary($"Uploads a file (the request body) into the scratch folder, to put it on a server: at most {FtpConsoles.MaxScratchFile / 1024 / 1024} MB, within the folder's quota of {FtpConsoles.ScratchQuota / 1024 / 1024} MB (413 past either, and nothing is left behind).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapDelete("/{id:guid}/files/{**name}", (Guid id, string name, FtpConsoles consoles) =>
            {
                File.Delete(consoles.FilePath(id, name, mustExist: true));
                return TypedResults.NoContent();
            })
            .WithSummary("Deletes a file from the scratch folder.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/{id:guid}", async (Guid id, FtpConsoles consoles) =>
            {
                await consoles.CloseAsync(id);
                return TypedResults.NoContent();
            })
            .WithSummary("Closes the console (QUIT if connected) and deletes its scratch folder.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }
}
