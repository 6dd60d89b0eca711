// Routes compose the features; features never import one another. Page paths never
// collide with API paths (/events, /orders, /me …): a reload of any page must reach
// the app, not the API.
import { createBrowserRouter } from 'react-router-dom';

import { Layout } from '@/components/Layout';
import { LoginPage } from '@/features/auth/LoginPage';
import { RegisterPage } from '@/features/auth/RegisterPage';
import { ResetConfirmPage, ResetRequestPage } from '@/features/auth/ResetPasswordPages';
import { EventListPage } from '@/features/events/EventListPage';
import { EventPage } from '@/features/events/EventPage';
import { MyOrdersPage } from '@/features/orders/MyOrdersPage';
import { OrderPage } from '@/features/orders/OrderPage';
import { BuyPage } from '@/features/purchase/BuyPage';
import { CheckoutPage } from '@/features/purchase/CheckoutPage';
import { AcceptTransferPage } from '@/features/tickets/AcceptTransferPage';
import { MyTicketsPage } from '@/features/tickets/MyTicketsPage';
import { WaitingRoomPage } from '@/features/waitingroom/WaitingRoomPage';

export const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { path: '/', element: <EventListPage /> },
      { path: '/event/:eventId', element: <EventPage /> },
      { path: '/event/:eventId/queue', element: <WaitingRoomPage /> },
      { path: '/event/:eventId/seats', element: <BuyPage /> },
      { path: '/event/:eventId/checkout/:holdId', element: <CheckoutPage /> },
      { path: '/order/:orderId', element: <OrderPage /> },
      { path: '/account/orders', element: <MyOrdersPage /> },
      { path: '/account/tickets', element: <MyTicketsPage /> },
      { path: '/account/transfers/:transferId', element: <AcceptTransferPage /> },
      { path: '/account/forgot-password', element: <ResetRequestPage /> },
      { path: '/account/reset-password', element: <ResetConfirmPage /> },
      { path: '/login', element: <LoginPage /> },
      { path: '/register', element: <RegisterPage /> },
    ],
  },
]);
