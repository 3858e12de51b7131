/**
 * The admin sidebar, in order. A module of the admin area adds its entry here and mounts its
 * router in ./index.ts; nothing else needs to know about it.
 */
export interface AdminNavItem {
  href: string;
  label: string;
}

export const ADMIN_NAV: readonly AdminNavItem[] = [
  { href: '/admin', label: 'Overview' },
  { href: '/admin/analytics/purchases', label: 'Purchases' },
  { href: '/admin/analytics/logins', label: 'Sign-ins' },
  { href: '/admin/analytics/abandonment', label: 'Abandonment' },
  { href: '/admin/products', label: 'Products' },
  { href: '/admin/categories', label: 'Categories' },
  { href: '/admin/orders', label: 'Orders' },
  { href: '/admin/customers', label: 'Customers' },
  { href: '/admin/deals', label: 'Deals' },
  { href: '/admin/requests', label: 'Requests' },
  { href: '/admin/testimonials', label: 'Testimonials' },
  { href: '/admin/newsletter', label: 'Newsletter' },
  { href: '/admin/subscribers', label: 'Subscribers' },
  { href: '/admin/alerts', label: 'Alerts' },
  { href: '/admin/backups', label: 'Backups' },
];
