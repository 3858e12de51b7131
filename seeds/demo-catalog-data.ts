/**
 * The demo catalog a newcomer sees on first start: 6 categories, 36 products. Prices are in
 * rupees here for readability and become paise when seeded. `hue` picks each cover's colours.
 */
import type { LicenseType } from '../src/models/products.js';

export interface DemoCategory {
  slug: string;
  name: string;
  description: string;
  motif: 'book' | 'layout' | 'type' | 'lens' | 'icons' | 'code';
  hue: number;
}

export interface DemoProduct {
  slug: string;
  title: string;
  category: string;
  summary: string;
  rupees: number;
  discount?: number;
  rating: number;
  ratingCount: number;
  tags: string[];
  license: LicenseType;
  featured?: boolean;
  hidden?: boolean;
}

export const demoCategories: DemoCategory[] = [
  { slug: 'ebooks', name: 'E-books & Guides', description: 'Practical guides written by working creators.', motif: 'book', hue: 18 },
  { slug: 'templates', name: 'Design Templates', description: 'Ready-made layouts for decks, resumes and social posts.', motif: 'layout', hue: 262 },
  { slug: 'fonts', name: 'Fonts', description: 'Display and text typefaces, including Devanagari families.', motif: 'type', hue: 340 },
  { slug: 'presets', name: 'Photo Presets & LUTs', description: 'Lightroom presets and video LUTs for a consistent look.', motif: 'lens', hue: 36 },
  { slug: 'icons', name: 'Icons & Illustrations', description: 'Icon sets and illustration packs in SVG and PNG.', motif: 'icons', hue: 172 },
  { slug: 'code', name: 'Code & Plugins', description: 'Starter kits, snippets and plugins for developers.', motif: 'code', hue: 212 },
];

export const demoProducts: DemoProduct[] = [
  // E-books
  { slug: 'freelance-pricing-playbook', title: 'The Freelance Pricing Playbook', category: 'ebooks', summary: 'Quote with confidence: value-based pricing for Indian freelancers, with 20 proposal templates.', rupees: 499, discount: 20, rating: 4.8, ratingCount: 412, tags: ['freelancing', 'pricing', 'business'], license: 'personal', featured: true },
  { slug: 'gst-for-creators', title: 'GST for Digital Creators', category: 'ebooks', summary: 'Registration, invoices and returns explained for people who sell online.', rupees: 349, rating: 4.6, ratingCount: 198, tags: ['tax', 'gst', 'business'], license: 'personal' },
  { slug: 'notion-second-brain', title: 'Build a Second Brain in Notion', category: 'ebooks', summary: 'A step-by-step guide to a note system you will actually keep using.', rupees: 299, discount: 10, rating: 4.5, ratingCount: 276, tags: ['notion', 'productivity', 'notes'], license: 'personal' },
  { slug: 'youtube-from-zero', title: 'YouTube from Zero to 10K', category: 'ebooks', summary: 'Scripting, thumbnails and a posting rhythm that grew three real channels.', rupees: 599, rating: 4.4, ratingCount: 133, tags: ['youtube', 'video', 'marketing'], license: 'personal' },
  { slug: 'indian-street-photography', title: 'Indian Street Photography Field Guide', category: 'ebooks', summary: 'Light, timing and consent on the streets of twelve Indian cities.', rupees: 449, discount: 15, rating: 4.9, ratingCount: 87, tags: ['photography', 'travel', 'street'], license: 'personal', featured: true },
  { slug: 'product-copywriting', title: 'Copy That Sells Digital Products', category: 'ebooks', summary: 'Headlines, product pages and launch emails that convert, with before/after examples.', rupees: 399, rating: 4.3, ratingCount: 64, tags: ['copywriting', 'marketing', 'business'], license: 'personal' },
  // Templates
  { slug: 'pitch-deck-startup', title: 'Startup Pitch Deck', category: 'templates', summary: '30 slides for Keynote, PowerPoint and Google Slides, shaped by funded decks.', rupees: 1299, discount: 25, rating: 4.7, ratingCount: 321, tags: ['presentation', 'startup', 'slides'], license: 'commercial', featured: true },
  { slug: 'minimal-resume-kit', title: 'Minimal Resume Kit', category: 'templates', summary: 'Clean one and two-page resumes with matching cover letters in Word and Figma.', rupees: 249, rating: 4.6, ratingCount: 905, tags: ['resume', 'career', 'figma'], license: 'personal' },
  { slug: 'instagram-carousel-pack', title: 'Instagram Carousel Pack', category: 'templates', summary: '120 editable carousel slides for Canva and Figma in six colourways.', rupees: 699, discount: 30, rating: 4.5, ratingCount: 402, tags: ['instagram', 'social media', 'canva'], license: 'commercial' },
  { slug: 'wedding-invite-suite', title: 'Wedding Invitation Suite', category: 'templates', summary: 'Save-the-date, invitation and menu cards with Hindi and English text styles.', rupees: 899, rating: 4.8, ratingCount: 156, tags: ['wedding', 'print', 'invitation'], license: 'personal', featured: true },
  { slug: 'saas-landing-figma', title: 'SaaS Landing Page for Figma', category: 'templates', summary: 'A responsive landing page system with 60 sections and auto-layout components.', rupees: 1499, rating: 4.4, ratingCount: 88, tags: ['figma', 'web design', 'ui kit'], license: 'commercial' },
  { slug: 'invoice-templates-gst', title: 'GST Invoice Templates', category: 'templates', summary: 'Tax-compliant invoice, quote and receipt templates for Excel and Google Sheets.', rupees: 199, rating: 4.2, ratingCount: 540, tags: ['gst', 'invoice', 'spreadsheet'], license: 'commercial' },
  // Fonts
  { slug: 'mukta-display', title: 'Mukta Display Family', category: 'fonts', summary: 'A Devanagari and Latin display family in nine weights for headlines and posters.', rupees: 1999, discount: 20, rating: 4.9, ratingCount: 74, tags: ['devanagari', 'display', 'sans serif'], license: 'commercial', featured: true },
  { slug: 'chai-script', title: 'Chai Script', category: 'fonts', summary: 'A warm hand-lettered script with alternates, ligatures and swashes.', rupees: 799, rating: 4.5, ratingCount: 112, tags: ['script', 'handwritten', 'branding'], license: 'commercial' },
  { slug: 'grotesk-pro', title: 'Bazaar Grotesk Pro', category: 'fonts', summary: 'A neutral grotesque for interfaces, with tabular figures and the rupee sign.', rupees: 2499, rating: 4.7, ratingCount: 58, tags: ['sans serif', 'ui', 'variable font'], license: 'extended' },
  { slug: 'retro-poster-type', title: 'Retro Poster Type', category: 'fonts', summary: 'Bold condensed caps inspired by hand-painted Bollywood posters.', rupees: 599, discount: 10, rating: 4.3, ratingCount: 97, tags: ['display', 'retro', 'poster'], license: 'commercial' },
  { slug: 'serif-editorial', title: 'Kavya Serif', category: 'fonts', summary: 'A literary serif for books and long reads, with small caps and old-style figures.', rupees: 1499, rating: 4.8, ratingCount: 41, tags: ['serif', 'editorial', 'books'], license: 'commercial' },
  { slug: 'mono-code-font', title: 'Terminal Mono', category: 'fonts', summary: 'A programming font with clear zeros, ligatures you can switch off, and Indic symbols.', rupees: 99, rating: 4.6, ratingCount: 1320, tags: ['monospace', 'coding', 'ligatures'], license: 'personal' },
  // Presets
  { slug: 'monsoon-moods-presets', title: 'Monsoon Moods Presets', category: 'presets', summary: '15 Lightroom presets for rainy streets, wet greens and cloudy skies.', rupees: 599, discount: 40, rating: 4.6, ratingCount: 388, tags: ['lightroom', 'mobile', 'moody'], license: 'personal', featured: true },
  { slug: 'golden-hour-luts', title: 'Golden Hour Cinematic LUTs', category: 'presets', summary: '24 LUTs for Premiere, Resolve and Final Cut with warm, filmic tones.', rupees: 999, rating: 4.7, ratingCount: 210, tags: ['luts', 'video', 'cinematic'], license: 'commercial' },
  { slug: 'wedding-film-presets', title: 'Wedding Film Presets', category: 'presets', summary: 'Skin-tone safe presets tuned on Indian weddings, mehendi to pheras.', rupees: 1199, discount: 15, rating: 4.8, ratingCount: 164, tags: ['lightroom', 'wedding', 'portrait'], license: 'commercial' },
  { slug: 'food-blogger-presets', title: 'Food Blogger Presets', category: 'presets', summary: 'Bright, appetising edits for thalis, street food and café flat-lays.', rupees: 449, rating: 4.4, ratingCount: 231, tags: ['lightroom', 'food', 'bright'], license: 'personal' },
  { slug: 'black-white-classics', title: 'Black & White Classics', category: 'presets', summary: 'Ten monochrome looks from soft matte to deep contrast.', rupees: 299, rating: 4.5, ratingCount: 145, tags: ['lightroom', 'monochrome', 'street'], license: 'personal' },
  { slug: 'travel-vlog-luts', title: 'Travel Vlog LUT Pack', category: 'presets', summary: 'Teal-and-orange, desert and Himalaya looks for action and drone footage.', rupees: 799, discount: 25, rating: 4.2, ratingCount: 120, tags: ['luts', 'travel', 'video'], license: 'commercial' },
  // Icons
  { slug: 'india-icons-500', title: 'India Icon Set (500)', category: 'icons', summary: 'Landmarks, festivals, food and transport in outline, solid and duotone.', rupees: 899, discount: 20, rating: 4.8, ratingCount: 267, tags: ['icons', 'svg', 'india'], license: 'commercial', featured: true },
  { slug: 'fintech-ui-icons', title: 'Fintech UI Icons', category: 'icons', summary: '320 pixel-perfect icons for payments, UPI, wallets and banking apps.', rupees: 1299, rating: 4.7, ratingCount: 93, tags: ['icons', 'ui', 'fintech'], license: 'extended' },
  { slug: 'festival-illustrations', title: 'Festival Illustrations', category: 'icons', summary: 'Diwali, Holi, Eid, Onam and Pongal scenes, editable in Illustrator and Figma.', rupees: 1099, discount: 10, rating: 4.9, ratingCount: 71, tags: ['illustration', 'festival', 'vector'], license: 'commercial' },
  { slug: 'hand-drawn-doodles', title: 'Hand-drawn Doodle Pack', category: 'icons', summary: '250 doodles, arrows and frames for notes, slides and social posts.', rupees: 349, rating: 4.4, ratingCount: 188, tags: ['doodles', 'png', 'illustration'], license: 'personal' },
  { slug: 'emoji-stickers', title: 'Desi Emoji Stickers', category: 'icons', summary: '80 expressive sticker emoji for WhatsApp and Telegram packs.', rupees: 199, rating: 4.1, ratingCount: 302, tags: ['stickers', 'emoji', 'png'], license: 'personal' },
  { slug: 'isometric-office', title: 'Isometric Office Kit', category: 'icons', summary: 'Build office and co-working scenes from 140 isometric pieces.', rupees: 999, rating: 4.3, ratingCount: 45, tags: ['isometric', 'illustration', 'vector'], license: 'commercial', hidden: true },
  // Code
  { slug: 'razorpay-nextjs-starter', title: 'Razorpay + Next.js Starter', category: 'code', summary: 'Subscriptions, webhooks and invoices wired up in a typed Next.js app.', rupees: 2499, discount: 20, rating: 4.8, ratingCount: 132, tags: ['nextjs', 'payments', 'typescript'], license: 'commercial', featured: true },
  { slug: 'tailwind-dashboard', title: 'Tailwind Admin Dashboard', category: 'code', summary: '40 pages of dashboard UI in HTML, React and Vue with dark mode.', rupees: 1799, rating: 4.6, ratingCount: 254, tags: ['tailwind', 'dashboard', 'react'], license: 'commercial' },
  { slug: 'wordpress-upi-plugin', title: 'UPI QR for WordPress', category: 'code', summary: 'Show a UPI QR code at checkout and confirm payments from your dashboard.', rupees: 999, rating: 4.2, ratingCount: 77, tags: ['wordpress', 'upi', 'plugin'], license: 'commercial' },
  { slug: 'flutter-ecommerce-ui', title: 'Flutter E-commerce UI Kit', category: 'code', summary: '60 screens for shopping apps with cart, wishlist and checkout flows.', rupees: 1499, discount: 30, rating: 4.5, ratingCount: 119, tags: ['flutter', 'mobile', 'ui kit'], license: 'extended' },
  { slug: 'python-automation-scripts', title: 'Python Automation Scripts', category: 'code', summary: '50 ready scripts for Excel, PDFs, email and web scraping, with video walk-throughs.', rupees: 699, rating: 4.7, ratingCount: 433, tags: ['python', 'automation', 'scripts'], license: 'personal' },
  { slug: 'vscode-theme-kesari', title: 'Kesari VS Code Theme', category: 'code', summary: 'A saffron-accented dark theme with matching terminal and icon colours.', rupees: 149, rating: 4.4, ratingCount: 612, tags: ['vscode', 'theme', 'coding'], license: 'personal' },
];
