using Netlab.Web.Accounts;

namespace Netlab.Web.Servers;

/// <summary>
/// The one ownership rule for every route under /api/servers/{id}: the generic ones and each lab's
/// own (mailbox, zone, faults). A student's id routes reach only their own servers; someone else's
/// server answers 404, as if it did not exist. Staff reach all. A request for a server running in
/// another portal instance is relayed to it (ScaleOut.OwnerForwarding).
/// </summary>
public static class ServerAccess
{
    /// <summary>Adds the check to every endpoint of the group that has an {id} route value.</summary>
    public static RouteGroupBuilder RequireServerAccess(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.Request.RouteValues["id"] is string text && Guid.TryParse(text, out var id))
                await http.RequestServices.GetRequiredService<ServerStore>().GetAsync(id, Viewer.Of(http.User), http.RequestAborted);
            // A server living in another instance: that instance carries the request out (reads of the store excepted).
            return await ScaleOut.OwnerForwarding.RelayedAsync(http, ScaleOut.FeedSource.Server) ?? await next(context);
        });
        return group;
    }

    /// <summary>The group of a lab's own endpoints on one server, with the ownership check.</summary>
    public static RouteGroupBuilder MapServerGroup(this IEndpointRouteBuilder app, string tag) =>
        app.MapGroup("/api/servers/{id:guid}").WithTags(tag).RequireServerAccess();
}
