import { baseApi as api } from "./base";
export const addTagTypes = [
  "identity",
  "events",
  "inventory",
  "checkin",
  "ops",
  "live",
  "orders",
  "tickets",
  "venues",
  "webhooks",
  "sandbox PSP (test mode)",
  "waiting room",
] as const;
const injectedRtkApi = api
  .enhanceEndpoints({
    addTagTypes,
  })
  .injectEndpoints({
    endpoints: (build) => ({
      login: build.mutation<LoginApiResponse, LoginApiArg>({
        query: (queryArg) => ({
          url: `/auth/login`,
          method: "POST",
          body: queryArg.login,
        }),
        invalidatesTags: ["identity"],
      }),
      logout: build.mutation<LogoutApiResponse, LogoutApiArg>({
        query: () => ({ url: `/auth/logout`, method: "POST" }),
        invalidatesTags: ["identity"],
      }),
      changePassword: build.mutation<
        ChangePasswordApiResponse,
        ChangePasswordApiArg
      >({
        query: (queryArg) => ({
          url: `/auth/password`,
          method: "POST",
          body: queryArg.passwordChange,
        }),
        invalidatesTags: ["identity"],
      }),
      requestPasswordReset: build.mutation<
        RequestPasswordResetApiResponse,
        RequestPasswordResetApiArg
      >({
        query: (queryArg) => ({
          url: `/auth/password-reset`,
          method: "POST",
          body: queryArg.passwordResetRequest,
        }),
        invalidatesTags: ["identity"],
      }),
      confirmPasswordReset: build.mutation<
        ConfirmPasswordResetApiResponse,
        ConfirmPasswordResetApiArg
      >({
        query: (queryArg) => ({
          url: `/auth/password-reset/confirm`,
          method: "POST",
          body: queryArg.passwordResetConfirm,
        }),
        invalidatesTags: ["identity"],
      }),
      refresh: build.mutation<RefreshApiResponse, RefreshApiArg>({
        query: (queryArg) => ({
          url: `/auth/refresh`,
          method: "POST",
          body: queryArg.refreshRequest,
        }),
        invalidatesTags: ["identity"],
      }),
      register: build.mutation<RegisterApiResponse, RegisterApiArg>({
        query: (queryArg) => ({
          url: `/auth/register`,
          method: "POST",
          body: queryArg.registration,
        }),
        invalidatesTags: ["identity"],
      }),
      searchEvents: build.query<SearchEventsApiResponse, SearchEventsApiArg>({
        query: (queryArg) => ({
          url: `/events`,
          params: {
            q: queryArg.q,
            city: queryArg.city,
            venue_id: queryArg.venueId,
            starts_from: queryArg.startsFrom,
            starts_until: queryArg.startsUntil,
            cursor: queryArg.cursor,
            limit: queryArg.limit,
          },
        }),
        providesTags: ["events"],
      }),
      getEvent: build.query<GetEventApiResponse, GetEventApiArg>({
        query: (queryArg) => ({ url: `/events/${queryArg.eventId}` }),
        providesTags: ["events"],
      }),
      updateEvent: build.mutation<UpdateEventApiResponse, UpdateEventApiArg>({
        query: (queryArg) => ({
          url: `/events/${queryArg.eventId}`,
          method: "PATCH",
          body: queryArg.eventUpdate,
        }),
        invalidatesTags: ["events"],
      }),
      inventoryAvailability: build.query<
        InventoryAvailabilityApiResponse,
        InventoryAvailabilityApiArg
      >({
        query: (queryArg) => ({
          url: `/events/${queryArg.eventId}/availability`,
        }),
        providesTags: ["inventory"],
      }),
      checkinBundle: build.mutation<
        CheckinBundleApiResponse,
        CheckinBundleApiArg
      >({
        query: (queryArg) => ({
          url: `/events/${queryArg.eventId}/checkin/bundles`,
          method: "POST",
          body: queryArg.bundleIn,
        }),
        invalidatesTags: ["checkin"],
      }),
      checkinScan: build.mutation<CheckinScanApiResponse, CheckinScanApiArg>({
        query: (queryArg) => ({
          url: `/events/${queryArg.eventId}/checkin/scans`,
          method: "POST",
          body: queryArg.scanIn,
        }),
        invalidatesTags: ["checkin"],
      }),
      checkinSync: build.mutation<CheckinSyncApiResponse, CheckinSyncApiArg>({
        query: (queryArg) => ({
          url: `/events/${queryArg.eventId}/checkin/sync`,
          method: "POST",
          body: queryArg.syncIn,
        }),
        invalidatesTags: ["checkin"],
      }),
      inventoryCreateHold: build.mutation<
        InventoryCreateHoldApiResponse,
        InventoryCreateHoldApiArg
      >({
        query: (queryArg) => ({
          url: `/events/${queryArg.eventId}/holds`,
          method: "POST",
          body: queryArg.body,
          headers: {
            "x-admission-token": queryArg["x-admission-token"],
          },
        }),
        invalidatesTags: ["inventory"],
      }),
      inventoryReleaseHold: build.mutation<
        InventoryReleaseHoldApiResponse,
        InventoryReleaseHoldApiArg
      >({
        query: (queryArg) => ({
          url: `/events/${queryArg.eventId}/holds/${queryArg.holdId}`,
          method: "DELETE",
        }),
        invalidatesTags: ["inventory"],
      }),
      inventoryGetHold: build.query<
        InventoryGetHoldApiResponse,
        InventoryGetHoldApiArg
      >({
        query: (queryArg) => ({
          url: `/events/${queryArg.eventId}/holds/${queryArg.holdId}`,
        }),
        providesTags: ["inventory"],
      }),
      inventoryExtendHold: build.mutation<
        InventoryExtendHoldApiResponse,
        InventoryExtendHoldApiArg
      >({
        query: (queryArg) => ({
          url: `/events/${queryArg.eventId}/holds/${queryArg.holdId}/extend`,
          method: "POST",
        }),
        invalidatesTags: ["inventory"],
      }),
      getEventSeatMap: build.query<
        GetEventSeatMapApiResponse,
        GetEventSeatMapApiArg
      >({
        query: (queryArg) => ({ url: `/events/${queryArg.eventId}/seat-map` }),
        providesTags: ["events"],
      }),
      changeEventStatus: build.mutation<
        ChangeEventStatusApiResponse,
        ChangeEventStatusApiArg
      >({
        query: (queryArg) => ({
          url: `/events/${queryArg.eventId}/status`,
          method: "POST",
          body: queryArg.statusChange,
        }),
        invalidatesTags: ["events"],
      }),
      opsHealthz: build.query<OpsHealthzApiResponse, OpsHealthzApiArg>({
        query: () => ({ url: `/healthz` }),
        providesTags: ["ops"],
      }),
      liveStream: build.query<LiveStreamApiResponse, LiveStreamApiArg>({
        query: (queryArg) => ({
          url: `/live/stream`,
          headers: {
            "last-event-id": queryArg["last-event-id"],
          },
          params: {
            channel: queryArg.channel,
            ticket: queryArg.ticket,
          },
        }),
        providesTags: ["live"],
      }),
      liveTicket: build.mutation<LiveTicketApiResponse, LiveTicketApiArg>({
        query: () => ({ url: `/live/tickets`, method: "POST" }),
        invalidatesTags: ["live"],
      }),
      getMe: build.query<GetMeApiResponse, GetMeApiArg>({
        query: () => ({ url: `/me` }),
        providesTags: ["identity"],
      }),
      updateMe: build.mutation<UpdateMeApiResponse, UpdateMeApiArg>({
        query: (queryArg) => ({
          url: `/me`,
          method: "PATCH",
          body: queryArg.profileUpdate,
        }),
        invalidatesTags: ["identity"],
      }),
      eraseMe: build.mutation<EraseMeApiResponse, EraseMeApiArg>({
        query: (queryArg) => ({
          url: `/me/erase`,
          method: "POST",
          body: queryArg.erasureRequest,
        }),
        invalidatesTags: ["identity"],
      }),
      ordersMine: build.query<OrdersMineApiResponse, OrdersMineApiArg>({
        query: (queryArg) => ({
          url: `/me/orders`,
          params: {
            cursor: queryArg.cursor,
            limit: queryArg.limit,
          },
        }),
        providesTags: ["orders"],
      }),
      ticketsMine: build.query<TicketsMineApiResponse, TicketsMineApiArg>({
        query: (queryArg) => ({
          url: `/me/tickets`,
          params: {
            after: queryArg.after,
            limit: queryArg.limit,
          },
        }),
        providesTags: ["tickets"],
      }),
      ticketsLiveCode: build.query<
        TicketsLiveCodeApiResponse,
        TicketsLiveCodeApiArg
      >({
        query: (queryArg) => ({
          url: `/me/tickets/${queryArg.ticketId}/live-code`,
        }),
        providesTags: ["tickets"],
      }),
      ticketsTicketPdf: build.query<
        TicketsTicketPdfApiResponse,
        TicketsTicketPdfApiArg
      >({
        query: (queryArg) => ({
          url: `/me/tickets/${queryArg.ticketId}/ticket.pdf`,
        }),
        providesTags: ["tickets"],
      }),
      ticketsOffer: build.mutation<TicketsOfferApiResponse, TicketsOfferApiArg>(
        {
          query: (queryArg) => ({
            url: `/me/tickets/${queryArg.ticketId}/transfers`,
            method: "POST",
            body: queryArg.transferIn,
          }),
          invalidatesTags: ["tickets"],
        },
      ),
      ordersCheckout: build.mutation<
        OrdersCheckoutApiResponse,
        OrdersCheckoutApiArg
      >({
        query: (queryArg) => ({
          url: `/orders`,
          method: "POST",
          body: queryArg.checkoutRequest,
        }),
        invalidatesTags: ["orders"],
      }),
      ordersGet: build.query<OrdersGetApiResponse, OrdersGetApiArg>({
        query: (queryArg) => ({ url: `/orders/${queryArg.orderId}` }),
        providesTags: ["orders"],
      }),
      ordersCancel: build.mutation<OrdersCancelApiResponse, OrdersCancelApiArg>(
        {
          query: (queryArg) => ({
            url: `/orders/${queryArg.orderId}/cancel`,
            method: "POST",
            body: queryArg.cancelRequest,
          }),
          invalidatesTags: ["orders"],
        },
      ),
      ticketsOrderIcs: build.query<
        TicketsOrderIcsApiResponse,
        TicketsOrderIcsApiArg
      >({
        query: (queryArg) => ({ url: `/orders/${queryArg.orderId}/event.ics` }),
        providesTags: ["tickets"],
      }),
      ordersPixQr: build.query<OrdersPixQrApiResponse, OrdersPixQrApiArg>({
        query: (queryArg) => ({
          url: `/orders/${queryArg.orderId}/pix-qr.svg`,
        }),
        providesTags: ["orders"],
      }),
      ticketsOfOrder: build.query<
        TicketsOfOrderApiResponse,
        TicketsOfOrderApiArg
      >({
        query: (queryArg) => ({ url: `/orders/${queryArg.orderId}/tickets` }),
        providesTags: ["tickets"],
      }),
      ticketsOrderPdf: build.query<
        TicketsOrderPdfApiResponse,
        TicketsOrderPdfApiArg
      >({
        query: (queryArg) => ({
          url: `/orders/${queryArg.orderId}/tickets.pdf`,
        }),
        providesTags: ["tickets"],
      }),
      listMyOrganizations: build.query<
        ListMyOrganizationsApiResponse,
        ListMyOrganizationsApiArg
      >({
        query: () => ({ url: `/organizations` }),
        providesTags: ["identity"],
      }),
      createOrganization: build.mutation<
        CreateOrganizationApiResponse,
        CreateOrganizationApiArg
      >({
        query: (queryArg) => ({
          url: `/organizations`,
          method: "POST",
          body: queryArg.organizationCreate,
        }),
        invalidatesTags: ["identity"],
      }),
      getOrganization: build.query<
        GetOrganizationApiResponse,
        GetOrganizationApiArg
      >({
        query: (queryArg) => ({ url: `/organizations/${queryArg.orgId}` }),
        providesTags: ["identity"],
      }),
      listOrgEvents: build.query<ListOrgEventsApiResponse, ListOrgEventsApiArg>(
        {
          query: (queryArg) => ({
            url: `/organizations/${queryArg.orgId}/events`,
            params: {
              cursor: queryArg.cursor,
              limit: queryArg.limit,
            },
          }),
          providesTags: ["events"],
        },
      ),
      createEvent: build.mutation<CreateEventApiResponse, CreateEventApiArg>({
        query: (queryArg) => ({
          url: `/organizations/${queryArg.orgId}/events`,
          method: "POST",
          body: queryArg.eventCreate,
        }),
        invalidatesTags: ["events"],
      }),
      listGateStaff: build.query<ListGateStaffApiResponse, ListGateStaffApiArg>(
        {
          query: (queryArg) => ({
            url: `/organizations/${queryArg.orgId}/gate-staff`,
            params: {
              cursor: queryArg.cursor,
              limit: queryArg.limit,
            },
          }),
          providesTags: ["identity"],
        },
      ),
      grantGateStaff: build.mutation<
        GrantGateStaffApiResponse,
        GrantGateStaffApiArg
      >({
        query: (queryArg) => ({
          url: `/organizations/${queryArg.orgId}/gate-staff`,
          method: "POST",
          body: queryArg.gateGrantCreate,
        }),
        invalidatesTags: ["identity"],
      }),
      revokeGateStaff: build.mutation<
        RevokeGateStaffApiResponse,
        RevokeGateStaffApiArg
      >({
        query: (queryArg) => ({
          url: `/organizations/${queryArg.orgId}/gate-staff/${queryArg.eventId}/${queryArg.userId}`,
          method: "DELETE",
        }),
        invalidatesTags: ["identity"],
      }),
      listMembers: build.query<ListMembersApiResponse, ListMembersApiArg>({
        query: (queryArg) => ({
          url: `/organizations/${queryArg.orgId}/members`,
        }),
        providesTags: ["identity"],
      }),
      addMember: build.mutation<AddMemberApiResponse, AddMemberApiArg>({
        query: (queryArg) => ({
          url: `/organizations/${queryArg.orgId}/members`,
          method: "POST",
          body: queryArg.memberAdd,
        }),
        invalidatesTags: ["identity"],
      }),
      removeMember: build.mutation<RemoveMemberApiResponse, RemoveMemberApiArg>(
        {
          query: (queryArg) => ({
            url: `/organizations/${queryArg.orgId}/members/${queryArg.userId}`,
            method: "DELETE",
          }),
          invalidatesTags: ["identity"],
        },
      ),
      listVenues: build.query<ListVenuesApiResponse, ListVenuesApiArg>({
        query: (queryArg) => ({
          url: `/organizations/${queryArg.orgId}/venues`,
          params: {
            cursor: queryArg.cursor,
            limit: queryArg.limit,
          },
        }),
        providesTags: ["venues"],
      }),
      createVenue: build.mutation<CreateVenueApiResponse, CreateVenueApiArg>({
        query: (queryArg) => ({
          url: `/organizations/${queryArg.orgId}/venues`,
          method: "POST",
          body: queryArg.venueDocument,
        }),
        invalidatesTags: ["venues"],
      }),
      ordersExportCsv: build.query<
        OrdersExportCsvApiResponse,
        OrdersExportCsvApiArg
      >({
        query: (queryArg) => ({
          url: `/orgs/${queryArg.orgId}/events/${queryArg.eventId}/attendees.csv`,
        }),
        providesTags: ["orders"],
      }),
      checkinDups: build.query<CheckinDupsApiResponse, CheckinDupsApiArg>({
        query: (queryArg) => ({
          url: `/orgs/${queryArg.orgId}/events/${queryArg.eventId}/checkin/duplicates`,
          params: {
            limit: queryArg.limit,
          },
        }),
        providesTags: ["checkin"],
      }),
      checkinStats: build.query<CheckinStatsApiResponse, CheckinStatsApiArg>({
        query: (queryArg) => ({
          url: `/orgs/${queryArg.orgId}/events/${queryArg.eventId}/checkin/stats`,
        }),
        providesTags: ["checkin"],
      }),
      ordersEventRefundProgress: build.query<
        OrdersEventRefundProgressApiResponse,
        OrdersEventRefundProgressApiArg
      >({
        query: (queryArg) => ({
          url: `/orgs/${queryArg.orgId}/events/${queryArg.eventId}/refunds`,
        }),
        providesTags: ["orders"],
      }),
      ticketsSetPolicy: build.mutation<
        TicketsSetPolicyApiResponse,
        TicketsSetPolicyApiArg
      >({
        query: (queryArg) => ({
          url: `/orgs/${queryArg.orgId}/events/${queryArg.eventId}/ticket-policy`,
          method: "PUT",
          body: queryArg.codePolicyIn,
        }),
        invalidatesTags: ["tickets"],
      }),
      ticketsOfEvent: build.query<
        TicketsOfEventApiResponse,
        TicketsOfEventApiArg
      >({
        query: (queryArg) => ({
          url: `/orgs/${queryArg.orgId}/events/${queryArg.eventId}/tickets`,
          params: {
            status: queryArg.status,
            after: queryArg.after,
            limit: queryArg.limit,
          },
        }),
        providesTags: ["tickets"],
      }),
      ordersList: build.query<OrdersListApiResponse, OrdersListApiArg>({
        query: (queryArg) => ({
          url: `/orgs/${queryArg.orgId}/orders`,
          params: {
            event_id: queryArg.eventId,
            status: queryArg.status,
            q: queryArg.q,
            cursor: queryArg.cursor,
            limit: queryArg.limit,
          },
        }),
        providesTags: ["orders"],
      }),
      ordersMarkPaid: build.mutation<
        OrdersMarkPaidApiResponse,
        OrdersMarkPaidApiArg
      >({
        query: (queryArg) => ({
          url: `/orgs/${queryArg.orgId}/orders/${queryArg.orderId}/mark-paid`,
          method: "POST",
        }),
        invalidatesTags: ["orders"],
      }),
      ordersRefund: build.mutation<OrdersRefundApiResponse, OrdersRefundApiArg>(
        {
          query: (queryArg) => ({
            url: `/orgs/${queryArg.orgId}/orders/${queryArg.orderId}/refund`,
            method: "POST",
            body: queryArg.refundRequest,
          }),
          invalidatesTags: ["orders"],
        },
      ),
      webhooksList: build.query<WebhooksListApiResponse, WebhooksListApiArg>({
        query: (queryArg) => ({ url: `/orgs/${queryArg.orgId}/webhooks` }),
        providesTags: ["webhooks"],
      }),
      webhooksSubscribe: build.mutation<
        WebhooksSubscribeApiResponse,
        WebhooksSubscribeApiArg
      >({
        query: (queryArg) => ({
          url: `/orgs/${queryArg.orgId}/webhooks`,
          method: "POST",
          body: queryArg.subscriptionCreate,
        }),
        invalidatesTags: ["webhooks"],
      }),
      webhooksUnsubscribe: build.mutation<
        WebhooksUnsubscribeApiResponse,
        WebhooksUnsubscribeApiArg
      >({
        query: (queryArg) => ({
          url: `/orgs/${queryArg.orgId}/webhooks/${queryArg.subscriptionId}`,
          method: "DELETE",
        }),
        invalidatesTags: ["webhooks"],
      }),
      webhooksDeliveries: build.query<
        WebhooksDeliveriesApiResponse,
        WebhooksDeliveriesApiArg
      >({
        query: (queryArg) => ({
          url: `/orgs/${queryArg.orgId}/webhooks/${queryArg.subscriptionId}/deliveries`,
          params: {
            cursor: queryArg.cursor,
            limit: queryArg.limit,
          },
        }),
        providesTags: ["webhooks"],
      }),
      opsReadyz: build.query<OpsReadyzApiResponse, OpsReadyzApiArg>({
        query: () => ({ url: `/readyz` }),
        providesTags: ["ops"],
      }),
      sandboxPspChallenge: build.query<
        SandboxPspChallengeApiResponse,
        SandboxPspChallengeApiArg
      >({
        query: (queryArg) => ({
          url: `/sandbox-psp/v1/challenges/${queryArg.chargeId}`,
        }),
        providesTags: ["sandbox PSP (test mode)"],
      }),
      sandboxPspCompleteChallenge: build.mutation<
        SandboxPspCompleteChallengeApiResponse,
        SandboxPspCompleteChallengeApiArg
      >({
        query: (queryArg) => ({
          url: `/sandbox-psp/v1/challenges/${queryArg.chargeId}`,
          method: "POST",
          body: queryArg.challengeResult,
        }),
        invalidatesTags: ["sandbox PSP (test mode)"],
      }),
      sandboxPspPayPix: build.mutation<
        SandboxPspPayPixApiResponse,
        SandboxPspPayPixApiArg
      >({
        query: (queryArg) => ({
          url: `/sandbox-psp/v1/pix/${queryArg.txid}/pay`,
          method: "POST",
        }),
        invalidatesTags: ["sandbox PSP (test mode)"],
      }),
      sandboxPspTokenize: build.mutation<
        SandboxPspTokenizeApiResponse,
        SandboxPspTokenizeApiArg
      >({
        query: (queryArg) => ({
          url: `/sandbox-psp/v1/tokens`,
          method: "POST",
          body: queryArg.cardDetails,
        }),
        invalidatesTags: ["sandbox PSP (test mode)"],
      }),
      ticketsAcceptTransfer: build.mutation<
        TicketsAcceptTransferApiResponse,
        TicketsAcceptTransferApiArg
      >({
        query: (queryArg) => ({
          url: `/ticket-transfers/${queryArg.transferId}/accept`,
          method: "POST",
        }),
        invalidatesTags: ["tickets"],
      }),
      getVenue: build.query<GetVenueApiResponse, GetVenueApiArg>({
        query: (queryArg) => ({ url: `/venues/${queryArg.venueId}` }),
        providesTags: ["venues"],
      }),
      exportVenue: build.query<ExportVenueApiResponse, ExportVenueApiArg>({
        query: (queryArg) => ({ url: `/venues/${queryArg.venueId}/layout` }),
        providesTags: ["venues"],
      }),
      replaceVenueLayout: build.mutation<
        ReplaceVenueLayoutApiResponse,
        ReplaceVenueLayoutApiArg
      >({
        query: (queryArg) => ({
          url: `/venues/${queryArg.venueId}/layout`,
          method: "PUT",
          body: queryArg.venueLayout,
        }),
        invalidatesTags: ["venues"],
      }),
      exportVenueSeatsCsv: build.query<
        ExportVenueSeatsCsvApiResponse,
        ExportVenueSeatsCsvApiArg
      >({
        query: (queryArg) => ({ url: `/venues/${queryArg.venueId}/seats.csv` }),
        providesTags: ["venues"],
      }),
      importVenueSeatsCsv: build.mutation<
        ImportVenueSeatsCsvApiResponse,
        ImportVenueSeatsCsvApiArg
      >({
        query: (queryArg) => ({
          url: `/venues/${queryArg.venueId}/seats.csv`,
          method: "PUT",
          body: queryArg.body,
        }),
        invalidatesTags: ["venues"],
      }),
      waitingroomUpdateAdmission: build.mutation<
        WaitingroomUpdateAdmissionApiResponse,
        WaitingroomUpdateAdmissionApiArg
      >({
        query: (queryArg) => ({
          url: `/waitingroom/events/${queryArg.eventId}/admission`,
          method: "PATCH",
          body: queryArg.admissionUpdate,
        }),
        invalidatesTags: ["waiting room"],
      }),
      waitingroomChallenge: build.mutation<
        WaitingroomChallengeApiResponse,
        WaitingroomChallengeApiArg
      >({
        query: (queryArg) => ({
          url: `/waitingroom/events/${queryArg.eventId}/challenge`,
          method: "POST",
        }),
        invalidatesTags: ["waiting room"],
      }),
      waitingroomClose: build.mutation<
        WaitingroomCloseApiResponse,
        WaitingroomCloseApiArg
      >({
        query: (queryArg) => ({
          url: `/waitingroom/events/${queryArg.eventId}/close`,
          method: "POST",
        }),
        invalidatesTags: ["waiting room"],
      }),
      waitingroomDraw: build.query<
        WaitingroomDrawApiResponse,
        WaitingroomDrawApiArg
      >({
        query: (queryArg) => ({
          url: `/waitingroom/events/${queryArg.eventId}/draw`,
        }),
        providesTags: ["waiting room"],
      }),
      waitingroomJoin: build.mutation<
        WaitingroomJoinApiResponse,
        WaitingroomJoinApiArg
      >({
        query: (queryArg) => ({
          url: `/waitingroom/events/${queryArg.eventId}/join`,
          method: "POST",
          body: queryArg.joinIn,
        }),
        invalidatesTags: ["waiting room"],
      }),
      waitingroomStats: build.query<
        WaitingroomStatsApiResponse,
        WaitingroomStatsApiArg
      >({
        query: (queryArg) => ({
          url: `/waitingroom/events/${queryArg.eventId}/stats`,
        }),
        providesTags: ["waiting room"],
      }),
      waitingroomStatus: build.query<
        WaitingroomStatusApiResponse,
        WaitingroomStatusApiArg
      >({
        query: (queryArg) => ({
          url: `/waitingroom/events/${queryArg.eventId}/status`,
        }),
        providesTags: ["waiting room"],
      }),
      waitingroomStatusStream: build.query<
        WaitingroomStatusStreamApiResponse,
        WaitingroomStatusStreamApiArg
      >({
        query: (queryArg) => ({
          url: `/waitingroom/events/${queryArg.eventId}/status/stream`,
        }),
        providesTags: ["waiting room"],
      }),
    }),
    overrideExisting: false,
  });
export { injectedRtkApi as api };
export type LoginApiResponse =
  /** status 200 Successful Response */ TokenResponse;
export type LoginApiArg = {
  login: Login;
};
export type LogoutApiResponse = unknown;
export type LogoutApiArg = void;
export type ChangePasswordApiResponse = unknown;
export type ChangePasswordApiArg = {
  passwordChange: PasswordChange;
};
export type RequestPasswordResetApiResponse =
  /** status 202 Successful Response */ {
    [key: string]: string;
  };
export type RequestPasswordResetApiArg = {
  passwordResetRequest: PasswordResetRequest;
};
export type ConfirmPasswordResetApiResponse = unknown;
export type ConfirmPasswordResetApiArg = {
  passwordResetConfirm: PasswordResetConfirm;
};
export type RefreshApiResponse =
  /** status 200 Successful Response */ TokenResponse;
export type RefreshApiArg = {
  refreshRequest: RefreshRequest;
};
export type RegisterApiResponse =
  /** status 201 Successful Response */ AccountCreated;
export type RegisterApiArg = {
  registration: Registration;
};
export type SearchEventsApiResponse =
  /** status 200 Successful Response */ EventPage;
export type SearchEventsApiArg = {
  /** Name, venue or city */
  q?: string | null;
  city?: string | null;
  venueId?: string | null;
  startsFrom?: string | null;
  startsUntil?: string | null;
  cursor?: string | null;
  limit?: number;
};
export type GetEventApiResponse = /** status 200 Successful Response */ Event;
export type GetEventApiArg = {
  eventId: string;
};
export type UpdateEventApiResponse =
  /** status 200 Successful Response */ Event;
export type UpdateEventApiArg = {
  eventId: string;
  eventUpdate: EventUpdate;
};
export type InventoryAvailabilityApiResponse =
  /** status 200 Successful Response */ Availability;
export type InventoryAvailabilityApiArg = {
  eventId: string;
};
export type CheckinBundleApiResponse = /** status 200 Successful Response */ {
  [key: string]: any;
};
export type CheckinBundleApiArg = {
  eventId: string;
  bundleIn: BundleIn;
};
export type CheckinScanApiResponse =
  /** status 200 Successful Response */ AdmissionOut;
export type CheckinScanApiArg = {
  eventId: string;
  scanIn: ScanIn;
};
export type CheckinSyncApiResponse =
  /** status 200 Successful Response */ SyncOut;
export type CheckinSyncApiArg = {
  eventId: string;
  syncIn: SyncIn;
};
export type InventoryCreateHoldApiResponse =
  /** status 201 Successful Response */ Hold;
export type InventoryCreateHoldApiArg = {
  eventId: string;
  "x-admission-token"?: string | null;
  body:
    | ({
        kind: "best";
      } & HoldBestRequest)
    | ({
        kind: "ga";
      } & HoldGaRequest)
    | ({
        kind: "seats";
      } & HoldSeatsRequest);
};
export type InventoryReleaseHoldApiResponse = unknown;
export type InventoryReleaseHoldApiArg = {
  eventId: string;
  holdId: string;
};
export type InventoryGetHoldApiResponse =
  /** status 200 Successful Response */ Hold;
export type InventoryGetHoldApiArg = {
  eventId: string;
  holdId: string;
};
export type InventoryExtendHoldApiResponse =
  /** status 200 Successful Response */ Hold;
export type InventoryExtendHoldApiArg = {
  eventId: string;
  holdId: string;
};
export type GetEventSeatMapApiResponse =
  /** status 200 Successful Response */ SeatMap;
export type GetEventSeatMapApiArg = {
  eventId: string;
};
export type ChangeEventStatusApiResponse =
  /** status 200 Successful Response */ Event;
export type ChangeEventStatusApiArg = {
  eventId: string;
  statusChange: StatusChange;
};
export type OpsHealthzApiResponse =
  /** status 200 Successful Response */ Liveness;
export type OpsHealthzApiArg = void;
export type LiveStreamApiResponse =
  /** status 200 Successful Response */ string;
export type LiveStreamApiArg = {
  /** me, event:<id>, event:<id>:sales, queue:<id> (repeat the parameter). */
  channel: string[];
  /** A stream ticket from POST /live/tickets. */
  ticket?: string | null;
  "last-event-id"?: string | null;
};
export type LiveTicketApiResponse =
  /** status 201 Successful Response */ StreamTicket;
export type LiveTicketApiArg = void;
export type GetMeApiResponse = /** status 200 Successful Response */ Profile;
export type GetMeApiArg = void;
export type UpdateMeApiResponse = unknown;
export type UpdateMeApiArg = {
  profileUpdate: ProfileUpdate;
};
export type EraseMeApiResponse = unknown;
export type EraseMeApiArg = {
  erasureRequest: ErasureRequest;
};
export type OrdersMineApiResponse =
  /** status 200 Successful Response */ OrderPage;
export type OrdersMineApiArg = {
  /** Opaque: the `next_cursor` of the previous page. */
  cursor?: string | null;
  /** Rows per page. */
  limit?: number;
};
export type TicketsMineApiResponse =
  /** status 200 Successful Response */ TicketPage;
export type TicketsMineApiArg = {
  after?: string | null;
  limit?: number;
};
export type TicketsLiveCodeApiResponse =
  /** status 200 Successful Response */ LiveCodeOut;
export type TicketsLiveCodeApiArg = {
  ticketId: string;
};
export type TicketsTicketPdfApiResponse =
  /** status 200 Successful Response */ Blob;
export type TicketsTicketPdfApiArg = {
  ticketId: string;
};
export type TicketsOfferApiResponse =
  /** status 201 Successful Response */ TransferOut;
export type TicketsOfferApiArg = {
  ticketId: string;
  transferIn: TransferIn;
};
export type OrdersCheckoutApiResponse =
  /** status 201 Successful Response */ OrderOut;
export type OrdersCheckoutApiArg = {
  checkoutRequest: CheckoutRequest;
};
export type OrdersGetApiResponse =
  /** status 200 Successful Response */ OrderOut;
export type OrdersGetApiArg = {
  orderId: string;
};
export type OrdersCancelApiResponse =
  /** status 200 Successful Response */ OrderOut;
export type OrdersCancelApiArg = {
  orderId: string;
  cancelRequest: CancelRequest;
};
export type TicketsOrderIcsApiResponse =
  /** status 200 Successful Response */ string;
export type TicketsOrderIcsApiArg = {
  orderId: string;
};
export type OrdersPixQrApiResponse = /** status 200 Successful Response */ Blob;
export type OrdersPixQrApiArg = {
  orderId: string;
};
export type TicketsOfOrderApiResponse =
  /** status 200 Successful Response */ TicketOut[];
export type TicketsOfOrderApiArg = {
  orderId: string;
};
export type TicketsOrderPdfApiResponse =
  /** status 200 Successful Response */ Blob;
export type TicketsOrderPdfApiArg = {
  orderId: string;
};
export type ListMyOrganizationsApiResponse =
  /** status 200 Successful Response */ OrganizationOut[];
export type ListMyOrganizationsApiArg = void;
export type CreateOrganizationApiResponse =
  /** status 201 Successful Response */ OrganizationOut;
export type CreateOrganizationApiArg = {
  organizationCreate: OrganizationCreate;
};
export type GetOrganizationApiResponse =
  /** status 200 Successful Response */ OrganizationOut;
export type GetOrganizationApiArg = {
  orgId: string;
};
export type ListOrgEventsApiResponse =
  /** status 200 Successful Response */ EventPage;
export type ListOrgEventsApiArg = {
  orgId: string;
  /** Opaque: the `next_cursor` of the previous page. */
  cursor?: string | null;
  /** Rows per page. */
  limit?: number;
};
export type CreateEventApiResponse =
  /** status 201 Successful Response */ Event;
export type CreateEventApiArg = {
  orgId: string;
  eventCreate: EventCreate;
};
export type ListGateStaffApiResponse =
  /** status 200 Successful Response */ GateGrantPage;
export type ListGateStaffApiArg = {
  orgId: string;
  /** Opaque: the `next_cursor` of the previous page. */
  cursor?: string | null;
  /** Rows per page. */
  limit?: number;
};
export type GrantGateStaffApiResponse =
  /** status 201 Successful Response */ GateGrantOut;
export type GrantGateStaffApiArg = {
  orgId: string;
  gateGrantCreate: GateGrantCreate;
};
export type RevokeGateStaffApiResponse = unknown;
export type RevokeGateStaffApiArg = {
  orgId: string;
  eventId: string;
  userId: string;
};
export type ListMembersApiResponse =
  /** status 200 Successful Response */ MemberOut[];
export type ListMembersApiArg = {
  orgId: string;
};
export type AddMemberApiResponse =
  /** status 201 Successful Response */ MemberOut;
export type AddMemberApiArg = {
  orgId: string;
  memberAdd: MemberAdd;
};
export type RemoveMemberApiResponse = unknown;
export type RemoveMemberApiArg = {
  orgId: string;
  userId: string;
};
export type ListVenuesApiResponse =
  /** status 200 Successful Response */ VenuePage;
export type ListVenuesApiArg = {
  orgId: string;
  /** Opaque: the `next_cursor` of the previous page. */
  cursor?: string | null;
  /** Rows per page. */
  limit?: number;
};
export type CreateVenueApiResponse =
  /** status 201 Successful Response */ Venue;
export type CreateVenueApiArg = {
  orgId: string;
  venueDocument: VenueDocument;
};
export type OrdersExportCsvApiResponse = unknown;
export type OrdersExportCsvApiArg = {
  orgId: string;
  eventId: string;
};
export type CheckinDupsApiResponse = /** status 200 Successful Response */ {
  [key: string]: any;
}[];
export type CheckinDupsApiArg = {
  orgId: string;
  eventId: string;
  limit?: number;
};
export type CheckinStatsApiResponse =
  /** status 200 Successful Response */ StatsOut;
export type CheckinStatsApiArg = {
  orgId: string;
  eventId: string;
};
export type OrdersEventRefundProgressApiResponse =
  /** status 200 Successful Response */ {
    [key: string]: any;
  };
export type OrdersEventRefundProgressApiArg = {
  orgId: string;
  eventId: string;
};
export type TicketsSetPolicyApiResponse =
  /** status 200 Successful Response */ CodePolicyOut;
export type TicketsSetPolicyApiArg = {
  orgId: string;
  eventId: string;
  codePolicyIn: CodePolicyIn;
};
export type TicketsOfEventApiResponse =
  /** status 200 Successful Response */ TicketPage;
export type TicketsOfEventApiArg = {
  orgId: string;
  eventId: string;
  status?: TicketStatus | null;
  after?: string | null;
  limit?: number;
};
export type OrdersListApiResponse =
  /** status 200 Successful Response */ OrderPage;
export type OrdersListApiArg = {
  orgId: string;
  eventId?: string | null;
  status?: OrderStatus | null;
  /** An order id or a buyer's e-mail. */
  q?: string | null;
  /** Opaque: the `next_cursor` of the previous page. */
  cursor?: string | null;
  /** Rows per page. */
  limit?: number;
};
export type OrdersMarkPaidApiResponse =
  /** status 200 Successful Response */ OrderOut;
export type OrdersMarkPaidApiArg = {
  orgId: string;
  orderId: string;
};
export type OrdersRefundApiResponse =
  /** status 200 Successful Response */ OrderOut;
export type OrdersRefundApiArg = {
  orgId: string;
  orderId: string;
  refundRequest: RefundRequest;
};
export type WebhooksListApiResponse =
  /** status 200 Successful Response */ Subscription[];
export type WebhooksListApiArg = {
  orgId: string;
};
export type WebhooksSubscribeApiResponse =
  /** status 201 Successful Response */ SubscriptionCreated;
export type WebhooksSubscribeApiArg = {
  orgId: string;
  subscriptionCreate: SubscriptionCreate;
};
export type WebhooksUnsubscribeApiResponse = unknown;
export type WebhooksUnsubscribeApiArg = {
  orgId: string;
  subscriptionId: string;
};
export type WebhooksDeliveriesApiResponse =
  /** status 200 Successful Response */ DeliveryPage;
export type WebhooksDeliveriesApiArg = {
  orgId: string;
  subscriptionId: string;
  /** Opaque: the `next_cursor` of the previous page. */
  cursor?: string | null;
  /** Rows per page. */
  limit?: number;
};
export type OpsReadyzApiResponse =
  /** status 200 Successful Response */ Readiness;
export type OpsReadyzApiArg = void;
export type SandboxPspChallengeApiResponse =
  /** status 200 Successful Response */ Charge;
export type SandboxPspChallengeApiArg = {
  chargeId: string;
};
export type SandboxPspCompleteChallengeApiResponse =
  /** status 200 Successful Response */ Charge;
export type SandboxPspCompleteChallengeApiArg = {
  chargeId: string;
  challengeResult: ChallengeResult;
};
export type SandboxPspPayPixApiResponse =
  /** status 200 Successful Response */ Charge;
export type SandboxPspPayPixApiArg = {
  txid: string;
};
export type SandboxPspTokenizeApiResponse =
  /** status 201 Successful Response */ CardToken;
export type SandboxPspTokenizeApiArg = {
  cardDetails: CardDetails;
};
export type TicketsAcceptTransferApiResponse =
  /** status 200 Successful Response */ TicketOut;
export type TicketsAcceptTransferApiArg = {
  transferId: string;
};
export type GetVenueApiResponse = /** status 200 Successful Response */ Venue;
export type GetVenueApiArg = {
  venueId: string;
};
export type ExportVenueApiResponse =
  /** status 200 Successful Response */ VenueDocument;
export type ExportVenueApiArg = {
  venueId: string;
};
export type ReplaceVenueLayoutApiResponse =
  /** status 200 Successful Response */ Venue;
export type ReplaceVenueLayoutApiArg = {
  venueId: string;
  venueLayout: VenueLayout;
};
export type ExportVenueSeatsCsvApiResponse =
  /** status 200 Successful Response */ any;
export type ExportVenueSeatsCsvApiArg = {
  venueId: string;
};
export type ImportVenueSeatsCsvApiResponse =
  /** status 200 Successful Response */ Venue;
export type ImportVenueSeatsCsvApiArg = {
  venueId: string;
  body: string;
};
export type WaitingroomUpdateAdmissionApiResponse =
  /** status 200 Successful Response */ QueueStats;
export type WaitingroomUpdateAdmissionApiArg = {
  eventId: string;
  admissionUpdate: AdmissionUpdate;
};
export type WaitingroomChallengeApiResponse =
  /** status 200 Successful Response */ ChallengeOut;
export type WaitingroomChallengeApiArg = {
  eventId: string;
};
export type WaitingroomCloseApiResponse =
  /** status 200 Successful Response */ QueueStats;
export type WaitingroomCloseApiArg = {
  eventId: string;
};
export type WaitingroomDrawApiResponse =
  /** status 200 Successful Response */ DrawOut;
export type WaitingroomDrawApiArg = {
  eventId: string;
};
export type WaitingroomJoinApiResponse =
  /** status 200 Successful Response */ QueueStatus;
export type WaitingroomJoinApiArg = {
  eventId: string;
  joinIn: JoinIn;
};
export type WaitingroomStatsApiResponse =
  /** status 200 Successful Response */ QueueStats;
export type WaitingroomStatsApiArg = {
  eventId: string;
};
export type WaitingroomStatusApiResponse =
  /** status 200 Successful Response */ QueueStatus;
export type WaitingroomStatusApiArg = {
  eventId: string;
};
export type WaitingroomStatusStreamApiResponse =
  /** status 200 Successful Response */ string;
export type WaitingroomStatusStreamApiArg = {
  eventId: string;
};
export type TokenResponse = {
  access_token: string;
  expires_in: number;
  refresh_token: string;
  token_type?: "bearer";
};
export type Problem = {
  /** Stable machine-readable reason. */
  code: string;
  detail: string;
  /** With `validation_failed`: the offending fields. */
  errors?: {
    code?: string;
    loc?: (string | number)[];
    msg: string;
    type?: string;
  }[];
  request_id?: string;
  retry_after?: number;
  status: number;
  title: string;
  type: string;
  [key: string]: any;
};
export type Login = {
  email: string;
  password: string;
};
export type PasswordChange = {
  current_password: string;
  new_password: string;
};
export type PasswordResetRequest = {
  email: string;
};
export type PasswordResetConfirm = {
  new_password: string;
  token: string;
};
export type RefreshRequest = {
  refresh_token: string;
};
export type AccountCreated = {
  id: string;
  locale: string;
};
export type Registration = {
  cpf?: string | null;
  email: string;
  locale?: "pt-BR" | "en";
  name: string;
  password: string;
  phone?: string | null;
};
export type PriceLevel = {
  amount_minor: number;
  ga_areas?: string[];
  id: string;
  name: string;
  seat_categories?: string[];
};
export type SalesWindow = {
  off_sale_at?: string | null;
  on_sale_at?: string | null;
};
export type EventStatus =
  "draft" | "published" | "on_sale" | "sold_out" | "ended" | "cancelled";
export type TicketKind = "full" | "half" | "courtesy";
export type TicketType = {
  /** Who may buy it (required for half price). */
  eligibility_note?: string | null;
  id: string;
  kind: TicketKind;
  name: string;
  /** At most this many sold; None = no cap. */
  quota?: number | null;
};
export type WaitingRoomConfig = {
  /** None = adaptive (auto). */
  admission_rate_per_minute?: number | null;
  enabled?: boolean;
  /** Proof-of-work bits to join (18 ≈ 1 s in a browser; 0 = none). */
  pow_difficulty?: number;
  pre_queue_minutes?: number;
};
export type Event = {
  /** Buyers may cancel paid orders (full refund) until this many hours before the start; None = no self-service cancellation. */
  buyer_cancellation_hours?: number | null;
  city: string;
  created_at: string;
  currency?: ("BRL" | "USD" | "EUR") | null;
  description?: string;
  ends_at: string;
  hold_duration_s?: number;
  id: string;
  image_urls?: string[];
  locale?: "pt-BR" | "en";
  name: string;
  org_id: string;
  per_buyer_limit?: number;
  price_levels?: PriceLevel[];
  requires_cpf?: boolean;
  sales?: SalesWindow;
  starts_at: string;
  status: EventStatus;
  ticket_types?: TicketType[];
  timezone?: string;
  updated_at: string;
  venue_id: string;
  venue_name: string;
  /** Bumped on every change (optimistic concurrency). */
  version: number;
  waiting_room?: WaitingRoomConfig;
};
export type EventPage = {
  items: Event[];
  /** Opaque; pass as `cursor` for the next page. */
  next_cursor: string | null;
};
export type EventUpdate = {
  buyer_cancellation_hours?: number | null;
  currency?: ("BRL" | "USD" | "EUR") | null;
  description?: string | null;
  ends_at?: string | null;
  hold_duration_s?: number | null;
  image_urls?: string[] | null;
  locale?: ("pt-BR" | "en") | null;
  name?: string | null;
  per_buyer_limit?: number | null;
  price_levels?: PriceLevel[] | null;
  requires_cpf?: boolean | null;
  sales?: SalesWindow | null;
  starts_at?: string | null;
  ticket_types?: TicketType[] | null;
  timezone?: string | null;
  venue_id?: string | null;
  waiting_room?: WaitingRoomConfig | null;
};
export type GaAvailability = {
  available: number;
  capacity: number;
};
export type UnitStatus = "available" | "held" | "sold" | "blocked";
export type Availability = {
  event_id: string;
  ga: {
    [key: string]: GaAvailability;
  };
  seats: {
    [key: string]: UnitStatus;
  };
  version: number;
};
export type BundleIn = {
  device_id: string;
  /** the device's X25519 public key, base64url */
  device_public_key: string;
};
export type AdmissionOut = {
  admitted?: boolean;
  at: string;
  gate: string;
  /** live (app) or static (printed) code */
  kind: string;
  place: string;
  ticket_id: string;
  ticket_type_id: string;
};
export type ScanIn = {
  /** what the scanner read */
  code: string;
  device_id: string;
  gate: string;
};
export type SyncOut = {
  accepted: number;
  already_synced: number;
  /** tickets admitted twice: by whom */
  duplicates: {
    [key: string]: any;
  }[];
  refused: {
    [key: string]: any;
  }[];
};
export type SyncedScanIn = {
  at: string;
  /** the signed code scanned */
  code: string;
  gate: string;
  ticket_id: string;
  version: number;
};
export type SyncIn = {
  device_id: string;
  scans: SyncedScanIn[];
};
export type HoldKind = "seats" | "best" | "ga";
export type Hold = {
  buyer_id: string;
  committing?: boolean;
  event_id: string;
  expires_at_ms: number;
  extended?: boolean;
  ga: {
    [key: string]: number;
  };
  hold_id: string;
  kind: HoldKind;
  seats: string[];
};
export type HoldBestRequest = {
  category?: string;
  kind: "best";
  quantity: number;
  section_id: string;
};
export type HoldGaRequest = {
  area_id: string;
  kind: "ga";
  quantity: number;
};
export type HoldSeatsRequest = {
  kind: "seats";
  seat_ids: string[];
};
export type SeatMapArea = {
  area_id: string;
  capacity: number;
  name: string;
  price_level_id: string | null;
};
export type SeatMapSeat = {
  accessibility: string[];
  blocked: boolean;
  category: string;
  order: number;
  price_level_id: string | null;
  row_label: string;
  seat_id: string;
  seat_label: string;
  section_id: string;
  x: number;
  y: number;
};
export type SeatMap = {
  currency: string;
  event_id: string;
  ga_areas: SeatMapArea[];
  layout_version: number;
  price_levels: PriceLevel[];
  seats: SeatMapSeat[];
  venue_id: string;
};
export type StatusChange = {
  reason?: string | null;
  status: EventStatus;
};
export type Liveness = {
  status?: "ok";
};
export type StreamTicket = {
  expires_in_s: number;
  ticket: string;
};
export type Role = "buyer" | "organizer" | "gate_staff" | "admin";
export type Profile = {
  cpf: string | null;
  created_at: string;
  email: string;
  id: string;
  locale: string;
  name: string;
  org_ids: string[];
  phone: string | null;
  roles: Role[];
};
export type ProfileUpdate = {
  cpf?: string | null;
  locale?: ("pt-BR" | "en") | null;
  name?: string | null;
  phone?: string | null;
};
export type ErasureRequest = {
  password: string;
};
export type LineStatus = "valid" | "refunded";
export type LineOut = {
  area_id: string | null;
  line_id: string;
  seat_id: string | null;
  status: LineStatus;
  ticket_kind: string;
  ticket_type_id: string;
  unit_cents: number;
};
export type PaymentMethod = "free" | "bank_transfer" | "pix" | "card_sandbox";
export type PaymentStatus =
  | "pending"
  | "requires_action"
  | "authorized"
  | "captured"
  | "partially_refunded"
  | "refunded"
  | "voided"
  | "failed";
export type PaymentOut = {
  amount_cents: number;
  card_brand: string | null;
  card_last4: string | null;
  id: string;
  instructions: {
    [key: string]: string;
  };
  method: PaymentMethod;
  status: PaymentStatus;
  test_mode: boolean;
};
export type OrderStatus =
  | "pending_payment"
  | "paid"
  | "partially_refunded"
  | "refunded"
  | "cancelled"
  | "expired";
export type OrderOut = {
  created_at: string;
  currency: string;
  event_id: string;
  id: string;
  lines: LineOut[];
  payment?: PaymentOut | null;
  payment_deadline: string;
  refunded_cents: number;
  status: OrderStatus;
  total_cents: number;
};
export type OrderPage = {
  items: OrderOut[];
  /** Opaque; pass as `cursor` for the next page (null: this is the last). */
  next_cursor: string | null;
};
export type TicketOut = {
  event_id: string;
  id: string;
  order_id: string;
  place: string;
  status: string;
  ticket_type_id: string;
  used_at: string | null;
  used_gate: string | null;
  version: number;
};
export type TicketPage = {
  items: TicketOut[];
  /** pass as `after` for the next page */
  next_cursor: string | null;
};
export type LiveCodeOut = {
  code: string;
  digits?: number;
  /** the QR's content right now */
  live_code: string;
  secret_b32: string;
  step_s?: number;
  ticket: TicketOut;
};
export type TransferOut = {
  expires_at: string;
  id: string;
  status: string;
  ticket_id: string;
};
export type TransferIn = {
  /** the receiver's e-mail (their TicketSafe account's) */
  email: string;
};
export type BuyerDetails = {
  email: string;
  name: string;
  phone?: string | null;
};
export type TicketChoice =
  | {
      area_id?: string | null;
      /** The buyer confirms the holder may use meia-entrada. */
      half_price_eligible?: boolean;
      holder_cpf?: string | null;
      holder_name: string;
      seat_id: string | null;
      ticket_type_id: string;
    }
  | {
      area_id: string | null;
      /** The buyer confirms the holder may use meia-entrada. */
      half_price_eligible?: boolean;
      holder_cpf?: string | null;
      holder_name: string;
      seat_id?: string | null;
      ticket_type_id: string;
    };
export type CheckoutRequest = {
  buyer: BuyerDetails;
  card_token?: string | null;
  /** The total the buyer was shown. */
  expected_total_cents: number;
  hold_id: string;
  locale?: "pt-BR" | "en";
  payment_method: PaymentMethod;
  tickets: TicketChoice[];
};
export type CancelRequest = {
  reason?: string;
};
export type MemberRole = "owner" | "member";
export type OrganizationOut = {
  created_at: string;
  id: string;
  my_role: MemberRole;
  name: string;
};
export type OrganizationCreate = {
  name: string;
};
export type EventCreate = {
  /** Buyers may cancel paid orders (full refund) until this many hours before the start; None = no self-service cancellation. */
  buyer_cancellation_hours?: number | null;
  /** Default: BRL for pt-BR. */
  currency?: ("BRL" | "USD" | "EUR") | null;
  description?: string;
  ends_at: string;
  hold_duration_s?: number;
  image_urls?: string[];
  locale?: "pt-BR" | "en";
  name: string;
  per_buyer_limit?: number;
  price_levels?: PriceLevel[];
  requires_cpf?: boolean;
  sales?: SalesWindow;
  starts_at: string;
  ticket_types?: TicketType[];
  timezone?: string;
  venue_id: string;
  waiting_room?: WaitingRoomConfig;
};
export type GateGrantOut = {
  event_id: string;
  granted_at: string;
  user_id: string;
};
export type GateGrantPage = {
  items: GateGrantOut[];
  /** Opaque; pass as `cursor` for the next page (null: this is the last). */
  next_cursor: string | null;
};
export type GateGrantCreate = {
  event_id: string;
  user_id: string;
};
export type MemberOut = {
  added_at: string;
  role: MemberRole;
  user_id: string;
};
export type MemberAdd = {
  email: string;
  role?: MemberRole;
};
export type SectionSummary = {
  /** Seats of a reserved section, or the GA capacity. */
  capacity: number;
  categories?: string[];
  id: string;
  kind: "reserved" | "ga";
  name: string;
  rows?: number;
  seats?: number;
};
export type Venue = {
  address: string;
  categories: string[];
  city: string;
  created_at: string;
  ga_capacity: number;
  id: string;
  layout_version: number;
  name: string;
  org_id: string;
  seat_count: number;
  sections: SectionSummary[];
  timezone: string;
  updated_at: string;
};
export type VenuePage = {
  items: Venue[];
  /** Opaque; pass as `cursor` for the next page (null: the last). */
  next_cursor?: string | null;
};
export type GeneralAdmissionIn = {
  capacity: number;
  id: string;
  kind: "ga";
  name: string;
};
export type Accessibility =
  "wheelchair" | "companion" | "reduced_mobility" | "hearing" | "visual";
export type SeatIn = {
  accessibility?: Accessibility[];
  /** Never sold (camera, pillar, …). */
  blocked?: boolean;
  category?: string;
  label: string;
  x: number;
  y: number;
};
export type RowIn = {
  label: string;
  /** In order along the row (adjacency). */
  seats: SeatIn[];
};
export type ReservedSectionIn = {
  id: string;
  kind: "reserved";
  name: string;
  rows: RowIn[];
};
export type VenueDocument = {
  address?: string;
  city: string;
  name: string;
  sections: (
    | ({
        kind: "ga";
      } & GeneralAdmissionIn)
    | ({
        kind: "reserved";
      } & ReservedSectionIn)
  )[];
  /** IANA time zone. */
  timezone?: string;
};
export type StatsOut = {
  admitted: number;
  event_id: string;
  per_gate: {
    [key: string]: number;
  };
  /** 5-minute slot start (event time) → count */
  per_slot: {
    [key: string]: number;
  };
};
export type CodePolicyOut = {
  event_id: string;
  /** the event's Ed25519 public key (raw, base64url) */
  public_key_b64: string;
  /** whether the printable (static) code admits */
  static_codes: boolean;
  /** transfers allowed per ticket */
  transfer_limit: number;
};
export type CodePolicyIn = {
  /** whether the printable (static) code admits */
  static_codes: boolean;
  /** transfers allowed per ticket */
  transfer_limit: number;
};
export type TicketStatus = "valid" | "revoked";
export type RefundRequest = {
  /** Lines to refund; omit to refund the whole order. */
  line_ids?: string[] | null;
  reason: string;
};
export type Subscription = {
  active?: boolean;
  created_at: string;
  description: string;
  events: string[];
  id: string;
  org_id: string;
  url: string;
};
export type SubscriptionCreated = {
  active?: boolean;
  created_at: string;
  description: string;
  events: string[];
  id: string;
  org_id: string;
  secret: string;
  url: string;
};
export type SubscriptionCreate = {
  description?: string;
  events: string[];
  url: string;
};
export type Attempt = {
  at: string;
  duration_ms: number;
  error: string | null;
  status_code: number | null;
};
export type DeliveryStatus = "pending" | "delivered" | "failed";
export type Delivery = {
  attempts?: Attempt[];
  created_at: string;
  event_type: string;
  id: string;
  org_id: string;
  payload: {
    [key: string]: any;
  };
  status: DeliveryStatus;
  subscription_id: string;
};
export type DeliveryPage = {
  items: Delivery[];
  /** Opaque; pass as `cursor` for the next page (null: this is the last). */
  next_cursor: string | null;
};
export type Readiness = {
  checks: {
    [key: string]: string;
  };
  status?: "ready";
};
export type ChargeState =
  | "requires_action"
  | "authorized"
  | "captured"
  | "voided"
  | "declined"
  | "pending";
export type Charge = {
  amount_cents: number;
  captured_cents?: number;
  card_brand?: string | null;
  card_last4?: string | null;
  challenge_url?: string | null;
  currency: string;
  decline_code?: string | null;
  id: string;
  kind: string;
  payer?: string | null;
  reference: string;
  refunded_cents?: number;
  state: ChargeState;
  test_mode?: boolean;
};
export type ChallengeResult = {
  outcome: "approve" | "fail";
};
export type CardToken = {
  brand: string;
  last4: string;
  test_mode?: boolean;
  token: string;
};
export type CardDetails = {
  cvc: string;
  exp_month: number;
  exp_year: number;
  number: string;
};
export type VenueLayout = {
  sections: (
    | ({
        kind: "ga";
      } & GeneralAdmissionIn)
    | ({
        kind: "reserved";
      } & ReservedSectionIn)
  )[];
};
export type AdmissionMode = "fixed" | "auto" | "adaptive";
export type QueueState = "pre" | "drawn" | "closed";
export type Supply = "available" | "all_held" | "sold_out";
export type QueueStats = {
  abandoned: number;
  active_shoppers: number;
  admitted: number;
  /** p90 of the checkouts of the last seconds (adaptive mode). */
  checkout_latency_ms?: number | null;
  checkout_latency_target_ms?: number;
  completions_last_minute: number;
  estimated_time_to_clear_s: number | null;
  event_id: string;
  joined: number;
  max_rate_per_minute?: number;
  min_rate_per_minute?: number;
  mode: AdmissionMode;
  pre_queue_length: number;
  queue_length: number;
  rate_per_minute: number;
  state: QueueState;
  supply?: Supply;
  target_active: number;
};
export type AdmissionUpdate = {
  checkout_latency_target_ms?: number | null;
  max_rate_per_minute?: number | null;
  min_rate_per_minute?: number | null;
  mode?: AdmissionMode | null;
  rate_per_minute?: number | null;
  target_active?: number | null;
};
export type ChallengeOut = {
  challenge: string;
  /** Leading zero bits of SHA-256(challenge ':' solution). */
  difficulty: number;
  expires_in_s: number;
};
export type DrawOut = {
  algorithm?: string;
  /** SHA-256 of the seed, hex; published before on-sale. */
  commitment: string;
  drawn_at?: string | null;
  /** Pseudonyms, sorted. */
  entries?: string[];
  event_id: string;
  /** Pseudonyms in drawn order. */
  order?: string[];
  /** Revealed after the draw, hex. */
  seed?: string | null;
};
export type PlaceState =
  "pre_queue" | "queued" | "admitted" | "admission_expired" | "not_in_queue";
export type QueueStatus = {
  admission_expires_at?: string | null;
  /** Send as X-Admission-Token to hold tickets. */
  admission_token?: string | null;
  /** When the waiting room let you in (you may learn it later). */
  admitted_at?: string | null;
  estimated_wait_s?: number | null;
  event_id: string;
  /** What to do now, when the state asks for an action. */
  next_step?: string | null;
  on_sale_at: string;
  people_ahead?: number | null;
  poll_after_s?: number;
  /** 1 = next to be admitted. */
  position?: number | null;
  /** Your entry in the public draw. */
  pseudonym?: string | null;
  rate_per_minute?: number;
  state: PlaceState;
  /** all_held / sold_out: nothing left to buy now, admission is paused. */
  supply?: Supply;
};
export type JoinIn = {
  challenge: string;
  solution: string;
};
export const {
  useLoginMutation,
  useLogoutMutation,
  useChangePasswordMutation,
  useRequestPasswordResetMutation,
  useConfirmPasswordResetMutation,
  useRefreshMutation,
  useRegisterMutation,
  useSearchEventsQuery,
  useLazySearchEventsQuery,
  useGetEventQuery,
  useLazyGetEventQuery,
  useUpdateEventMutation,
  useInventoryAvailabilityQuery,
  useLazyInventoryAvailabilityQuery,
  useCheckinBundleMutation,
  useCheckinScanMutation,
  useCheckinSyncMutation,
  useInventoryCreateHoldMutation,
  useInventoryReleaseHoldMutation,
  useInventoryGetHoldQuery,
  useLazyInventoryGetHoldQuery,
  useInventoryExtendHoldMutation,
  useGetEventSeatMapQuery,
  useLazyGetEventSeatMapQuery,
  useChangeEventStatusMutation,
  useOpsHealthzQuery,
  useLazyOpsHealthzQuery,
  useLiveStreamQuery,
  useLazyLiveStreamQuery,
  useLiveTicketMutation,
  useGetMeQuery,
  useLazyGetMeQuery,
  useUpdateMeMutation,
  useEraseMeMutation,
  useOrdersMineQuery,
  useLazyOrdersMineQuery,
  useTicketsMineQuery,
  useLazyTicketsMineQuery,
  useTicketsLiveCodeQuery,
  useLazyTicketsLiveCodeQuery,
  useTicketsTicketPdfQuery,
  useLazyTicketsTicketPdfQuery,
  useTicketsOfferMutation,
  useOrdersCheckoutMutation,
  useOrdersGetQuery,
  useLazyOrdersGetQuery,
  useOrdersCancelMutation,
  useTicketsOrderIcsQuery,
  useLazyTicketsOrderIcsQuery,
  useOrdersPixQrQuery,
  useLazyOrdersPixQrQuery,
  useTicketsOfOrderQuery,
  useLazyTicketsOfOrderQuery,
  useTicketsOrderPdfQuery,
  useLazyTicketsOrderPdfQuery,
  useListMyOrganizationsQuery,
  useLazyListMyOrganizationsQuery,
  useCreateOrganizationMutation,
  useGetOrganizationQuery,
  useLazyGetOrganizationQuery,
  useListOrgEventsQuery,
  useLazyListOrgEventsQuery,
  useCreateEventMutation,
  useListGateStaffQuery,
  useLazyListGateStaffQuery,
  useGrantGateStaffMutation,
  useRevokeGateStaffMutation,
  useListMembersQuery,
  useLazyListMembersQuery,
  useAddMemberMutation,
  useRemoveMemberMutation,
  useListVenuesQuery,
  useLazyListVenuesQuery,
  useCreateVenueMutation,
  useOrdersExportCsvQuery,
  useLazyOrdersExportCsvQuery,
  useCheckinDupsQuery,
  useLazyCheckinDupsQuery,
  useCheckinStatsQuery,
  useLazyCheckinStatsQuery,
  useOrdersEventRefundProgressQuery,
  useLazyOrdersEventRefundProgressQuery,
  useTicketsSetPolicyMutation,
  useTicketsOfEventQuery,
  useLazyTicketsOfEventQuery,
  useOrdersListQuery,
  useLazyOrdersListQuery,
  useOrdersMarkPaidMutation,
  useOrdersRefundMutation,
  useWebhooksListQuery,
  useLazyWebhooksListQuery,
  useWebhooksSubscribeMutation,
  useWebhooksUnsubscribeMutation,
  useWebhooksDeliveriesQuery,
  useLazyWebhooksDeliveriesQuery,
  useOpsReadyzQuery,
  useLazyOpsReadyzQuery,
  useSandboxPspChallengeQuery,
  useLazySandboxPspChallengeQuery,
  useSandboxPspCompleteChallengeMutation,
  useSandboxPspPayPixMutation,
  useSandboxPspTokenizeMutation,
  useTicketsAcceptTransferMutation,
  useGetVenueQuery,
  useLazyGetVenueQuery,
  useExportVenueQuery,
  useLazyExportVenueQuery,
  useReplaceVenueLayoutMutation,
  useExportVenueSeatsCsvQuery,
  useLazyExportVenueSeatsCsvQuery,
  useImportVenueSeatsCsvMutation,
  useWaitingroomUpdateAdmissionMutation,
  useWaitingroomChallengeMutation,
  useWaitingroomCloseMutation,
  useWaitingroomDrawQuery,
  useLazyWaitingroomDrawQuery,
  useWaitingroomJoinMutation,
  useWaitingroomStatsQuery,
  useLazyWaitingroomStatsQuery,
  useWaitingroomStatusQuery,
  useLazyWaitingroomStatusQuery,
  useWaitingroomStatusStreamQuery,
  useLazyWaitingroomStatusStreamQuery,
} = injectedRtkApi;
